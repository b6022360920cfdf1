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


def _data_download(profile, *, as_of, for_self: bool) -> HttpResponse:  # type: ignore[no-untyped-def]
    from home.subject_access import subject_access_zip

    response = HttpResponse(
        subject_access_zip(profile, as_of=as_of, for_self=for_self),
        content_type="application/zip",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="sustain-my-data-{as_of.isoformat()}.zip"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    """The person's own data: a page that says what is in it, and the download."""
    profile = own_profile(request.user)
    if profile is None:
        raise Http404("You have no staff record.")
    if request.GET.get("download"):
        from workforce.audit import record_audit

        record_audit(
            actor=request.user,
            action="sustain.subject_access.export",
            instance=profile,
            summary="Own data downloaded",
        )
        return _data_download(profile, as_of=today(), for_self=True)
    from home.subject_access import EXPORTED

    return render(
        request,
        "home/my_data.html",
        {"profile": profile, "kinds": sorted(EXPORTED), "as_of": today()},
    )


@login_required
def person_data(request: HttpRequest, person_id: int) -> HttpResponse:
    """A platform admin downloads anyone's data (a subject access request); logged."""
    from django.core.exceptions import PermissionDenied
    from django.shortcuts import get_object_or_404

    from accounts.roles import Role, has_role
    from workforce.audit import record_audit
    from workforce.models import StaffProfile

    if not has_role(request.user, Role.PLATFORM_ADMIN):
        raise PermissionDenied
    profile = get_object_or_404(
        StaffProfile.objects.for_user(request.user), pk=person_id
    )
    record_audit(
        actor=request.user,
        action="sustain.subject_access.export",
        instance=profile,
        summary="Data produced for a subject access request",
    )
    return _data_download(profile, as_of=today(), for_self=False)
