"""The signed-in home page and the error pages."""

import posixpath
from urllib.parse import unquote

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
)
from django.shortcuts import render
from django.templatetags.static import static
from django.views.static import serve

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


def public_media(request: HttpRequest, path: str) -> HttpResponse:
    """Serve Wagtail's images under DEBUG, and nothing else from the media folder.

    The path is decoded and normalised before it is judged, so ``//``, ``./``,
    ``%2f`` and ``..`` cannot reach another folder; only the folders named in
    ``PUBLIC_MEDIA_FOLDERS`` are served, never training evidence.
    """
    clean = posixpath.normpath(unquote(path)).lstrip("/")
    first = clean.split("/", 1)[0]
    if (
        clean != unquote(path)
        or first not in settings.PUBLIC_MEDIA_FOLDERS
        or "/" not in clean
    ):
        raise Http404("No such file.")
    response = serve(request, clean, document_root=settings.MEDIA_ROOT)
    response["X-Content-Type-Options"] = "nosniff"
    return response
