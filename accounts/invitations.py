"""Invitations: the first password a person sets, through a link sent to them.

A person the roster, the API or an admin creates has no usable password. Each of
those paths calls :func:`invite`, which writes the link to the notifications outbox
in the caller's transaction; the relay sends it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, User


class InvitationError(Exception):
    """An invitation link cannot be used."""


def hash_token(token: str) -> str:
    """Return the stored form of a link's token."""
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_url(token: str) -> str:
    """Return the absolute link a person follows to set their password."""
    from config.links import absolute

    return absolute(reverse("accounts:accept_invitation", kwargs={"token": token}))


@transaction.atomic
def invite(
    *, user: User, invited_by: User | None = None, now: datetime | None = None
) -> Invitation:
    """Send a new single-use link to set a password; older links stop working."""
    from notifications.models import NotificationKind
    from notifications.services import enqueue

    now = now or timezone.now()
    Invitation.objects.filter(
        user=user, accepted_at__isnull=True, superseded_at__isnull=True
    ).update(superseded_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        user=user,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + timedelta(days=settings.INVITATION_EXPIRY_DAYS),
        invited_by=invited_by if invited_by and invited_by.pk else None,
    )
    enqueue(
        recipient=user,
        kind=NotificationKind.INVITATION,
        key_date=timezone.localdate(now),
        reference=f"invitation:{invitation.pk}",
        context={"url": invitation_url(token), "expires_at": invitation.expires_at},
        now=now,
    )
    return invitation


def invite_new_people(*, users: Iterable[User], invited_by: User | None = None) -> int:
    """Invite each person who has an email and no usable password yet."""
    count = 0
    for user in users:
        if user.email and user.is_active and not user.has_usable_password():
            invite(user=user, invited_by=invited_by)
            count += 1
    return count


def find_invitation(token: str) -> Invitation | None:
    """Return the invitation a link's token names, usable or not."""
    return (
        Invitation.objects.select_related("user")
        .filter(token_hash=hash_token(token))
        .first()
    )


@transaction.atomic
def accept_invitation(*, token: str, password: str, now: datetime) -> User:
    """Set the person's password from a usable link, and spend the link."""
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("user")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if invitation is None or not invitation.is_usable(now=now):
        raise InvitationError("This link has expired or has already been used.")
    if not invitation.user.is_active:
        raise InvitationError("This account is no longer active.")
    from accounts.sso import passwords_off_for

    if passwords_off_for(invitation.user) is not None:
        raise InvitationError(
            "Your organisation signs you in through its own account: "
            "there is no Sustain password to set."
        )
    user = invitation.user
    user.set_password(password)
    user.save(update_fields=["password"])
    invitation.accepted_at = now
    invitation.save(update_fields=["accepted_at"])
    return user


def password_reset_url(user: User) -> str:
    """Return the absolute, single-use link that lets a person choose a new password.

    Django's token: it stops working once the password changes, or after
    ``PASSWORD_RESET_TIMEOUT``.
    """
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from config.links import absolute

    return absolute(
        reverse(
            "accounts:password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
    )


@transaction.atomic
def send_password_reset(*, user: User, now: datetime | None = None) -> None:
    """Write a password reset link to the outbox, as every email goes; the relay
    sends it. Each request is its own message (a person may ask twice in a day)."""
    from notifications.models import NotificationKind
    from notifications.services import enqueue

    now = now or timezone.now()
    enqueue(
        recipient=user,
        kind=NotificationKind.PASSWORD_RESET,
        key_date=timezone.localdate(now),
        reference=f"reset:{secrets.token_hex(8)}",
        context={
            "url": password_reset_url(user),
            "valid_for_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        },
        now=now,
    )
