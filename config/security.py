"""Security headers for Sustain's own pages.

The Content-Security-Policy allows scripts only from this site (no inline script), so
an injected ``<script>`` in a module page or a supervision note cannot run. The Wagtail
admin relies on inline scripts of its own and is left to Wagtail's defaults.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

FRAME_SOURCES = ("https://www.youtube-nocookie.com", "https://player.vimeo.com")


def content_security_policy() -> str:
    """Return the policy for Sustain's pages (not the Wagtail admin)."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # GOV.UK Frontend sets a few inline styles; styles cannot run code.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'", *FRAME_SOURCES],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
    return "; ".join(
        f"{name} {' '.join(values)}" for name, values in directives.items()
    )


class SecurityHeadersMiddleware:
    """Add the Content-Security-Policy and Permissions-Policy to every site page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = content_security_policy()
        self.admin_prefix = getattr(settings, "WAGTAIL_ADMIN_PREFIX", "/admin/")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(self.admin_prefix):
            response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
        )
        return response


class PrivateCacheMiddleware:
    """Send ``Cache-Control: private, no-store`` to every signed-in person.

    Pages, JSON and downloads for a signed-in person hold named or health data, so no
    browser or shared cache may keep them. The check runs after the view, so an API
    request signed in by token (Django REST framework sets ``request.user``) counts
    too. Static files are answered by WhiteNoise before this runs and stay cacheable.
    A view may opt out by setting ``response.cache_public = True``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if (signed_in or "Authorization" in request.headers) and not getattr(
            response, "cache_public", False
        ):
            response.headers["Cache-Control"] = "private, no-store"
            response.headers.pop("Expires", None)
        return response
