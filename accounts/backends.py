"""Sign in with a username or an email address, either in any letter case."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q
from django.http import HttpRequest

from accounts.models import User

log = logging.getLogger("sustain.security")


class EmailOrUsernameBackend(ModelBackend):
    """Django's model backend, finding the account by username or email.

    An exact username wins; otherwise a single case-insensitive match on username
    or email. Several matches (two usernames differing only in case) sign in none.
    Each request's user is read with their staff profile in the same query, so
    ``workforce.scoping.own_profile`` needs none of its own.
    """

    def get_user(self, user_id: Any) -> User | None:
        user = (
            User._default_manager.select_related(
                "profile__organisation", "profile__team", "profile__job_role"
            )
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None or password is None:
            return None
        login = username.strip()
        user = User.objects.filter(username=login).first()
        if user is None:
            matches = list(
                User.objects.filter(Q(username__iexact=login) | Q(email__iexact=login))[
                    :2
                ]
            )
            if len(matches) != 1:
                # Run the hasher anyway, so timing does not reveal who exists.
                User().set_password(password)
                return None
            user = matches[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return self._unless_passwords_off(request, user)
        return None

    def _unless_passwords_off(
        self, request: HttpRequest | None, user: User
    ) -> User | None:
        """Refuse a right password where the person's organisation turned them off
        (``accounts.sso.passwords_off_for``); a platform admin's is break-glass."""
        from accounts import sso

        config = sso.passwords_off_for(user)
        if config is not None:
            log.warning("password refused, passwords off: user=%s", user.pk)
            if request is not None:
                setattr(request, sso.PASSWORDS_OFF, config)
            return None
        if sso.is_break_glass_use(user):
            log.warning("break-glass password sign-in: user=%s", user.pk)
        return user
