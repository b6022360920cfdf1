"""The signed-in home page and the error pages."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static

from accounts.roles import roles_of
from home.panels import panels_for
from workforce.dates import today
from workforce.scoping import own_profile


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Show each of the user's roles what needs their attention today."""
    as_of = today()
    return render(
        request,
        "home/dashboard.html",
        {
            "as_of": as_of,
            "profile": own_profile(request.user),
            "role_labels": sorted(role.label for role in roles_of(request.user)),
            "panels": panels_for(request.user, as_of=as_of),
        },
    )


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without context processors: the request may be what failed.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render(), status=500)


def favicon(request: HttpRequest) -> HttpResponse:
    # Resolved per request, not at import: under the manifest storage the hashed
    # name exists only after collectstatic, and URL loading must not need it.
    return HttpResponsePermanentRedirect(static("images/favicon.svg"))
