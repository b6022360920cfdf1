"""The user account. Who a person is at work lives in ``workforce.StaffProfile``."""

from __future__ import annotations

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
