"""End a session 12 hours after sign-in, however active it has been."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

SIGNED_IN_AT = "sustain_signed_in_at"


class AbsoluteSessionLimitMiddleware:
    """Sign the user out once ``SESSION_ABSOLUTE_SECONDS`` have passed since sign-in.

    The idle limit is Django's own (``SESSION_COOKIE_AGE`` renewed on each request).
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
        return self.get_response(request)
