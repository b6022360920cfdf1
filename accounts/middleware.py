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
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

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
