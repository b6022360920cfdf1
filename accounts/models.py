"""The user account. Who a person is at work lives in ``workforce.StaffProfile``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower

if TYPE_CHECKING:
    from accounts.roles import Role
    from workforce.models import StaffProfile


class User(AbstractUser):
    """A person who signs in. Email is unique (case-insensitively) when given."""

    # Per-request caches, set on first use by ``accounts.roles.roles_of`` and
    # ``workforce.scoping.own_profile`` (annotations only: not fields, not stored).
    _sustain_roles: frozenset[Role]
    _sustain_profile: StaffProfile | None

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_ci",
                condition=~models.Q(email=""),
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def latest_for(self, user: User) -> Invitation | None:
        """Return the newest invitation sent to this user, if any."""
        return self.filter(user=user).order_by("-created_at", "-pk").first()


class Invitation(models.Model):
    """A single-use, expiring link that lets a person set their first password.

    Only a hash of the token is stored: the link itself exists only in the email.
    """

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    # Set when a newer invitation replaces this one, so only the newest link works.
    superseded_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="invitation_expires_after_creation",
            )
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.user}"

    def status(self, *, now: datetime) -> str:
        """Say whether the invitation is accepted, expired, replaced or waiting."""
        if self.accepted_at:
            return "accepted"
        if self.superseded_at:
            return "replaced"
        if now >= self.expires_at:
            return "expired"
        return "sent"

    def is_usable(self, *, now: datetime) -> bool:
        return self.status(now=now) == "sent"
