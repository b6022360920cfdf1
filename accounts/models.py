"""The user account. Who a person is at work lives in ``workforce.StaffProfile``."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    """A person who signs in. Email is unique (case-insensitively) when given."""

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
