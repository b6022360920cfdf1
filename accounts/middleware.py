"""End a session 12 hours after sign-in, however active; renew it once a minute.

Sessions are saved only when something in them changed, so a request that changes
nothing costs no write. The idle timeout (``SESSION_COOKIE_AGE``, 30 minutes) is
kept by touching the session at most once every ``SESSION_TOUCH_SECONDS`` (60): a
session then ends between 29 and 30 idle minutes after the last request.
"""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

from accounts.models import User

SIGNED_IN_AT = "sustain_signed_in_at"
TOUCHED_AT = "sustain_touched_at"


class AbsoluteSessionLimitMiddleware:
    """Sign the user out once ``SESSION_ABSOLUTE_SECONDS`` have passed since sign-in.

    The idle limit is Django's own (``SESSION_COOKIE_AGE`` from the last save);
    the touch below renews it, at most once every ``SESSION_TOUCH_SECONDS``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            signed_in_at = request.session.setdefault(SIGNED_IN_AT, now)
            if now - signed_in_at > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                return redirect(settings.LOGIN_URL)
            touched_at = request.session.get(TOUCHED_AT, 0)
            if now - touched_at >= settings.SESSION_TOUCH_SECONDS:
                request.session[TOUCHED_AT] = now
        return self.get_response(request)


# Pages a signed-in person may open before their second factor is verified.
OPEN_BEFORE_SECOND_FACTOR = frozenset(
    {
        "accounts:two_factor_verify",
        "accounts:two_factor_setup",
        "accounts:passkey_add",
        "accounts:passkey_sign_in",
        "accounts:backup_codes",
        "oidc_authentication_init",
        "sso_start",
        "accounts:single_sign_on",
        "oidc_authentication_callback",
        "accounts:logout",
        "accounts:login",
        "health",
        "favicon",
    }
)


class TwoFactorMiddleware:
    """Stop people who need a second factor at the code page until they give one.

    Runs after django-otp's ``OTPMiddleware`` (which adds ``user.is_verified``). It
    covers every page, the Wagtail admin included. It also answers a signed-in
    person without admin rights at ``/admin/`` with a styled "no access" page rather
    than Wagtail's sign-in form.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[object, ...],
        view_kwargs: dict[str, object],
    ) -> HttpResponse | None:
        from accounts import two_factor

        user = request.user
        if not user.is_authenticated:
            return None
        match = request.resolver_match
        name = match.view_name if match else ""
        if name in OPEN_BEFORE_SECOND_FACTOR:
            return None
        assert isinstance(user, User)
        if not two_factor.is_verified(request) and (
            two_factor.must_enrol(user) or two_factor.is_enrolled(request)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": "Verify your second factor before using the API."},
                    status=403,
                )
            page = (
                "accounts:two_factor_verify"
                if two_factor.is_enrolled(request)
                else "accounts:two_factor_setup"
            )
            return redirect(
                f"{reverse(page)}?{urlencode({'next': request.get_full_path()})}"
            )
        if _is_admin_path(request.path) and not user.has_perm(
            "wagtailadmin.access_admin"
        ):
            return render(request, "403.html", {"admin_denied": True}, status=403)
        return None


def _is_admin_path(path: str) -> bool:
    """Whether ``path`` is in the Wagtail admin (a URLconf without it has none)."""
    try:
        prefix = reverse("wagtailadmin_home")
    except NoReverseMatch:
        return False
    return path.startswith(prefix)
