"""The user account. Who a person is at work lives in ``workforce.StaffProfile``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django_otp.models import Device

from supervision.fields import EncryptedTextField

if TYPE_CHECKING:
    from accounts.roles import Role
    from workforce.models import StaffProfile


# django-otp has no type stubs, so the stubs cannot see Passkey's reverse manager.
class User(AbstractUser):  # type: ignore[django-manager-missing]
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


class Passkey(Device):
    """A WebAuthn credential (a passkey or security key) used as a second factor.

    A django-otp device, so a passkey sign-in marks the session verified the same way
    a code does (``user.is_verified()``). Only the public key is stored. The counter
    is the authenticator's own: a response whose count does not go up is refused
    (unless the authenticator keeps none, and reports 0 every time), which is how a
    cloned key shows itself.
    """

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="passkeys"
    )
    credential_id = models.BinaryField(max_length=1023)
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    # Hints the browser uses to offer the right authenticator (usb, internal, ...).
    transports = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["credential_id"], name="passkey_credential_unique"
            )
        ]


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def live(self, *, now: datetime) -> ApiTokenQuerySet:
        """Keep the tokens that still open the API: not revoked, not expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class ApiToken(models.Model):
    """A key a reporting tool or HR system uses to call the API as its owner.

    Only the SHA-256 of the key is stored (``accounts.tokens``): the key is shown
    once, when it is made. ``prefix`` is its first characters, to tell tokens apart.
    """

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="sustain_api_tokens"
    )
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_creation",
            )
        ]

    def __str__(self) -> str:
        return self.name or f"{self.prefix}…"

    def status(self, *, now: datetime) -> str:
        """Say whether the token is revoked, expired or live."""
        if self.revoked_at:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        return "live"


class OrganisationSignIn(models.Model):
    """An organisation's own identity provider (OpenID Connect), and its password rule.

    Set by a platform admin through ``accounts.sign_in_settings`` (audited). The client
    secret is stored sealed (or read from ``OIDC_CLIENT_SECRET_<SLUG>`` in the
    environment when left blank) and never shown back. A person signs in through it
    only if their staff record is in this organisation.
    """

    organisation = models.OneToOneField(
        "workforce.Organisation", on_delete=models.CASCADE, related_name="sign_in"
    )
    enabled = models.BooleanField(
        default=True, help_text="Offer this provider on the sign-in page."
    )
    provider_name = models.CharField(
        max_length=100,
        help_text='Shown on the sign-in page as "Sign in with …", for example '
        "Northshire County Council's Microsoft account.",
    )
    email_domains = models.CharField(
        max_length=500,
        help_text="The email domains of this organisation's staff, comma-separated "
        "(for example northshire.gov.uk). The sign-in page sends an address at one "
        "of them to this provider.",
    )
    issuer = models.URLField(
        max_length=300,
        help_text="The provider's issuer URL: ID tokens must name exactly this.",
    )
    client_id = models.CharField(max_length=200)
    # Fernet-sealed; blank means "read it from the environment".
    client_secret = EncryptedTextField(blank=True)
    authorization_endpoint = models.URLField(max_length=300)
    token_endpoint = models.URLField(max_length=300)
    userinfo_endpoint = models.URLField(max_length=300)
    jwks_endpoint = models.URLField(max_length=300)
    sign_algo = models.CharField(max_length=10, default="RS256")
    passwords_off = models.BooleanField(
        default=False,
        help_text="Turn Sustain passwords off for this organisation: its people sign "
        "in only through this provider (platform admins keep their password).",
    )
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "organisation single sign-on"
        verbose_name_plural = "organisation single sign-on"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(passwords_off=False) | models.Q(enabled=True),
                name="sign_in_passwords_off_needs_provider",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.provider_name}"

    def domains(self) -> set[str]:
        """Return the email domains, lower-case, without spaces or a leading @."""
        return {
            part.strip().lstrip("@").lower()
            for part in self.email_domains.split(",")
            if part.strip().lstrip("@")
        }
