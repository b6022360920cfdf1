"""Leavers: end a person's access on their leaving date, restore it if they rejoin.

``left_on`` is the person's last day in post. The daily sweep calls
:func:`end_leavers_access` on each day's date, so access ends at the sweep on the
leaving date; a change to the staff record that sets a leaving date today or
earlier ends it at once (:func:`sync_access`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.tokens import revoke_all_tokens


@transaction.atomic
def end_access(*, users: Iterable[User], now: datetime | None = None) -> int:
    """Make the accounts inactive, end their sessions and revoke their API tokens."""
    now = now or timezone.now()
    ids = {user.pk for user in users}
    if not ids:
        return 0
    changed = User.objects.filter(pk__in=ids, is_active=True).update(is_active=False)
    revoke_all_tokens(user_ids=ids, now=now)
    wanted = {str(pk) for pk in ids}
    stale = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=now).iterator()
        if str(session.get_decoded().get(SESSION_KEY)) in wanted
    ]
    Session.objects.filter(pk__in=stale).delete()
    return changed


def end_leavers_access(*, as_of: date, now: datetime | None = None) -> int:
    """End access for everyone whose leaving date is ``as_of`` or earlier."""
    users = User.objects.filter(
        is_active=True, profile__left_on__isnull=False, profile__left_on__lte=as_of
    )
    return end_access(users=list(users), now=now)


def reactivate(*, user: User) -> bool:
    """Let a rejoiner sign in again (their old sessions and tokens stay gone)."""
    return bool(User.objects.filter(pk=user.pk, is_active=False).update(is_active=True))


def sync_access(*, user: User, left_on: date | None, as_of: date) -> None:
    """Match the account to the staff record after it changes.

    A leaving date today or earlier ends access now; a cleared or future leaving
    date on an inactive account is a rejoiner, who is let back in.
    """
    if left_on is not None and left_on <= as_of:
        if user.is_active:
            end_access(users=[user])
    elif not user.is_active:
        reactivate(user=user)


def remember_left_on(sender: type, instance: object, **kwargs: object) -> None:
    """Note the leaving date a staff record was loaded with (``post_init``)."""
    instance._sustain_left_on = getattr(instance, "left_on", None)  # type: ignore[attr-defined]


def left_on_saved(sender: type, instance: object, **kwargs: object) -> None:
    """Apply a changed leaving date to the account at once (``post_save``)."""
    from workforce.dates import today

    left_on = getattr(instance, "left_on", None)
    if left_on != getattr(instance, "_sustain_left_on", None):
        user = User.objects.get(pk=instance.user_id)  # type: ignore[attr-defined]
        sync_access(user=user, left_on=left_on, as_of=today())
        instance._sustain_left_on = left_on  # type: ignore[attr-defined]
