"""Set an organisation's single sign-on and its password rule (platform admins only).

The one write path for ``OrganisationSignIn``: the Wagtail admin's views call it, and
each save leaves an audit entry naming the fields that changed (never the secret's
value, only that it changed). Turning passwords off or on has an entry of its own.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import OrganisationSignIn
from workforce.audit import record_audit

log = logging.getLogger("sustain.security")

ENDPOINTS = (
    ("authorization_endpoint", "authorization_endpoint"),
    ("token_endpoint", "token_endpoint"),
    ("userinfo_endpoint", "userinfo_endpoint"),
    ("jwks_endpoint", "jwks_uri"),
)
FIELDS = (
    "enabled",
    "provider_name",
    "email_domains",
    "issuer",
    "client_id",
    *(field for field, _ in ENDPOINTS),
    "sign_algo",
    "passwords_off",
)


class SignInSettingsError(Exception):
    """The settings cannot be saved; ``field`` names the one at fault, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def discover(issuer: str) -> dict[str, str]:
    """Read the provider's endpoints from its discovery document.

    The document must name the same issuer (OpenID Connect Discovery 4.3), so a
    typo or a redirect to another provider is caught here rather than at sign-in.
    """
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        log.warning("sso discovery failed for %s: %s", issuer, error)
        raise SignInSettingsError(
            "Sustain could not read the provider's settings from "
            f"{url}. Check the issuer URL, or enter the four endpoints yourself.",
            field="issuer",
        ) from error
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        raise SignInSettingsError(
            "The provider's settings name a different issuer. Enter the issuer "
            "exactly as the provider gives it.",
            field="issuer",
        )
    found = {field: str(document.get(key) or "") for field, key in ENDPOINTS}
    missing = [field for field, value in found.items() if not value]
    if missing:
        raise SignInSettingsError(
            "The provider's settings do not give its "
            + ", ".join(m.replace("_", " ") for m in missing)
            + ". Enter the endpoints yourself.",
            field="issuer",
        )
    return found


def check(values: dict[str, Any]) -> dict[str, Any]:
    """Return the values with any missing endpoints discovered, or raise.

    Addresses must be https:// where ``OIDC_REQUIRE_HTTPS`` is on (production).
    """
    values = dict(values)
    if not all(values.get(field) for field, _ in ENDPOINTS):
        values.update(discover(str(values.get("issuer") or "")))
    if settings.OIDC_REQUIRE_HTTPS:
        for field in ("issuer", *(f for f, _ in ENDPOINTS)):
            if not str(values.get(field) or "").startswith("https://"):
                raise SignInSettingsError(
                    "Enter an https:// address: Sustain talks to identity "
                    "providers over HTTPS only.",
                    field=field,
                )
    if values.get("passwords_off") and not values.get("enabled"):
        raise SignInSettingsError(
            "Passwords can be turned off only while single sign-on is on: "
            "otherwise this organisation's people could not sign in at all.",
            field="passwords_off",
        )
    domains = OrganisationSignIn(email_domains=values.get("email_domains") or "")
    if not domains.domains() or any("." not in d for d in domains.domains()):
        raise SignInSettingsError(
            "Enter at least one email domain, like northshire.gov.uk.",
            field="email_domains",
        )
    return values


@transaction.atomic
def save_sign_in(
    *,
    actor: Any,
    organisation: Any,
    values: dict[str, Any],
    new_secret: str = "",
    now: datetime | None = None,
) -> OrganisationSignIn:
    """Create or change an organisation's single sign-on; audited.

    ``new_secret`` replaces the stored client secret when given; blank keeps it (or,
    with none stored, leaves the environment's ``OIDC_CLIENT_SECRET_<SLUG>`` in use).
    """
    values = check(values)
    now = now or timezone.now()
    config = (
        OrganisationSignIn.objects.select_for_update()
        .filter(organisation=organisation)
        .first()
    )
    created = config is None
    if config is None:
        config = OrganisationSignIn(organisation=organisation)
    was_off = bool(config.passwords_off) and not created
    changed = [
        field for field in FIELDS if created or getattr(config, field) != values[field]
    ]
    for field in FIELDS:
        setattr(config, field, values[field])
    if new_secret:
        config.client_secret = new_secret
        changed.append("client_secret")
    config.updated_at = now
    config.save()
    if changed:
        record_audit(
            actor=actor,
            action="sustain.sign_in.configure",
            instance=config,
            summary="Single sign-on set up" if created else "Single sign-on changed",
            data={"organisation": organisation.pk, "changed": changed},
        )
    if config.passwords_off != was_off:
        record_audit(
            actor=actor,
            action="sustain.sign_in.passwords",
            instance=config,
            summary="Passwords turned off"
            if config.passwords_off
            else "Passwords turned on",
            data={
                "organisation": organisation.pk,
                "passwords_off": config.passwords_off,
            },
        )
    log.info(
        "sso settings saved organisation=%s by=%s changed=%s",
        organisation.pk,
        getattr(actor, "pk", None),
        changed,
    )
    return config


@transaction.atomic
def remove_sign_in(*, actor: Any, config: OrganisationSignIn) -> None:
    """Remove an organisation's single sign-on (its people use passwords again)."""
    record_audit(
        actor=actor,
        action="sustain.sign_in.configure",
        instance=config.organisation,
        summary="Single sign-on removed",
        data={"organisation": config.organisation_id, "changed": ["removed"]},
    )
    if config.passwords_off:
        record_audit(
            actor=actor,
            action="sustain.sign_in.passwords",
            instance=config.organisation,
            summary="Passwords turned on",
            data={"organisation": config.organisation_id, "passwords_off": False},
        )
    config.delete()
