"""Lockout after wrong passwords, through django-axes.

Two limits, both over the cool-off window (30 minutes):

- a username from one address is locked after ``AXES_FAILURE_LIMIT`` wrong
  passwords, so guessing one account's password stops, yet the same person can
  still sign in from another address (an attacker cannot lock the admin out);
- an address that has failed for ``SIGN_IN_ADDRESS_USERNAME_LIMIT`` different
  usernames is refused for every username (password spraying). A council office
  shares one address, so this limit counts accounts, not mistyped passwords.

Password reset links are limited per email and per address
(:func:`password_reset_allowed`).
"""

from __future__ import annotations

import hashlib
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import caches
from django.db.models import Q
from django.http import HttpRequest

from accounts.addresses import client_ip
from accounts.models import User


def sign_in_name(
    request: HttpRequest | None, credentials: dict[str, Any] | None
) -> str:
    """Return one name per account, however it was typed (username or email, any case).

    Without this, "Sam", "sam" and "sam@example.org" would each get their own ten
    tries at the same account.
    """
    if credentials:
        typed = credentials.get("username") or ""
    else:
        typed = getattr(request, "POST", {}).get("username", "") if request else ""
    typed = str(typed).strip()
    if not typed:
        return typed
    matches = list(
        User.objects.filter(Q(username__iexact=typed) | Q(email__iexact=typed))
        .values_list("username", flat=True)
        .order_by("pk")[:2]
    )
    if len(matches) == 1:
        return matches[0].lower()
    return typed.lower()


def usernames_failed_from(request: HttpRequest) -> int:
    """Count the usernames with wrong passwords from this request's address lately."""
    return (
        AccessAttempt.objects.filter(
            ip_address=request.axes_ip_address,  # type: ignore[attr-defined]
            attempt_time__gte=get_cool_off_threshold(request),
        )
        .values("username")
        .distinct()
        .count()
    )


class SustainAxesHandler(AxesDatabaseHandler):
    """django-axes's database handler, also refusing an address that sprays.

    The address limit counts as reaching the failure limit, so axes both refuses
    the next attempt and answers the attempt that crossed it with its lockout page.
    """

    def get_failures(
        self, request: Any, credentials: dict[str, Any] | None = None
    ) -> int:
        failures = super().get_failures(request, credentials)
        limit = get_failure_limit(request, credentials)
        if failures >= limit:
            request.sustain_lockout = "account"
            return failures
        if usernames_failed_from(request) >= settings.SIGN_IN_ADDRESS_USERNAME_LIMIT:
            request.sustain_lockout = "address"
            return limit
        return failures


RESET_WINDOW_SECONDS = 60 * 60


def _count(key: str) -> int:
    """Add one to a counter that lasts an hour from its first use; return it."""
    cache = caches["throttles"]
    cache.add(key, 0, timeout=RESET_WINDOW_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, timeout=RESET_WINDOW_SECONDS)
        return 1


def password_reset_allowed(*, request: HttpRequest | None, email: str) -> bool:
    """Say whether a reset link may go to this address now.

    At most ``PASSWORD_RESET_EMAIL_LIMIT`` links an hour to one email (no
    mailbombing) and ``PASSWORD_RESET_ADDRESS_LIMIT`` requests an hour from one
    network address. Over either, nothing is sent, and the page says what it
    always says, so it never tells anyone which emails have accounts.
    """
    email_key = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    by_email = _count(f"reset:email:{email_key}")
    by_address = _count(f"reset:address:{client_ip(request)}") if request else 0
    return (
        by_email <= settings.PASSWORD_RESET_EMAIL_LIMIT
        and by_address <= settings.PASSWORD_RESET_ADDRESS_LIMIT
    )
