"""Single sign-on through the organisation's OpenID Connect provider.

mozilla-django-oidc runs the authorization code flow with PKCE; this module decides who
the signed-in identity is. It is one existing, active account whose email matches the
provider's *verified* email, case-insensitively, and whose staff record (if any) has
not passed its leaving date. Nothing else signs in: an unknown email, an unverified
one, a leaver, or two accounts sharing the email are refused with a message, and no
account is ever created or changed from claims (roles come only from Sustain).

The second factor is still Sustain's to ask for: a privileged person signing in this
way verifies their code or passkey as after a password. With ``OIDC_TRUST_MFA_CLAIM``
on, an ID token whose ``amr`` claim says ``mfa`` counts as that second factor for the
session instead (for a provider that enforces MFA itself).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from accounts.models import User

log = logging.getLogger("sustain.security")

REFUSAL = "sustain_sso_refusal"
AMR = "sustain_sso_amr"
# RFC 8176 names multiple-factor authentication "mfa"; Microsoft Entra ID sends it.
MFA_AMR = frozenset({"mfa"})
GENERIC_REFUSAL = (
    "Single sign-on did not finish. Try again, or sign in with your email and password."
)


def is_enabled() -> bool:
    """Say whether single sign-on is configured for this site."""
    return bool(settings.OIDC_RP_CLIENT_ID and settings.OIDC_OP_AUTHORIZATION_ENDPOINT)


def _refuse(request: HttpRequest, reason: str) -> None:
    setattr(request, REFUSAL, reason)


class SignInBackend(OIDCAuthenticationBackend):  # type: ignore[misc]
    """Match a provider identity to one existing, active person by verified email."""

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        email = str(claims.get("email") or "").strip()
        if not email or claims.get("email_verified") is not True:
            log.warning("sso refused: email missing or not verified")
            _refuse(
                self.request,
                "Your organisation's sign-in did not confirm your email address, "
                "so Sustain cannot match it to an account.",
            )
            return False
        return True

    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet[User]:
        from workforce.dates import today

        email = str(claims.get("email") or "").strip()
        users = User.objects.filter(email__iexact=email, is_active=True).exclude(
            Q(profile__left_on__lt=today())
        )
        if not users:
            log.warning("sso refused: no active account for the verified email")
            _refuse(
                self.request,
                f"There is no active Sustain account for {email}. If you work "
                "here, ask your manager to add you to the staff roster.",
            )
        return users

    def create_user(self, claims: dict[str, Any]) -> User:
        raise SuspiciousOperation("Single sign-on never creates accounts")

    def update_user(self, user: User, claims: dict[str, Any]) -> User:
        # Claims never change an account: names and roles come from the roster.
        return user

    def get_or_create_user(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> User | None:
        amr = payload.get("amr")
        setattr(
            self.request, AMR, [str(v) for v in amr] if isinstance(amr, list) else []
        )
        user: User | None = super().get_or_create_user(access_token, id_token, payload)
        return user


class SignInStartView(OIDCAuthenticationRequestView):  # type: ignore[misc]
    """Send the browser to the provider (404 where single sign-on is not set up)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not is_enabled():
            raise Http404
        response: HttpResponse = super().get(request)
        return response


class SignInCallbackView(OIDCAuthenticationCallbackView):  # type: ignore[misc]
    """Finish the sign-in; explain a refusal on the sign-in page."""

    def login_failure(self) -> HttpResponse:
        messages.error(self.request, getattr(self.request, REFUSAL, GENERIC_REFUSAL))
        return redirect("accounts:login")

    def login_success(self) -> HttpResponse:
        from accounts import two_factor

        response: HttpResponse = super().login_success()
        amr = set(getattr(self.request, AMR, []))
        if settings.OIDC_TRUST_MFA_CLAIM and amr & MFA_AMR:
            self.request.session[two_factor.PROVIDER_MFA_SESSION_KEY] = True
        log.info("sso sign-in user=%s amr=%s", self.user.pk, sorted(amr))
        return response
