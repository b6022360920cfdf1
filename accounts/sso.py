"""Single sign-on through OpenID Connect: each organisation's own provider, or one
provider for the whole site.

mozilla-django-oidc runs the authorization code flow with PKCE; this module decides
which provider a sign-in is for and who the signed-in identity is.

- **Which provider.** An organisation's provider (``OrganisationSignIn``, set in the
  Wagtail admin) is started at ``/oidc/authenticate/<organisation slug>/``; the site's
  own (the ``OIDC_*`` settings, for a deployment with one provider) at
  ``/oidc/authenticate/``. The provider chosen is remembered in the session against
  the ``state`` sent to it, so the callback talks only to that provider: its token
  endpoint, its keys, its client. The ID token must name that provider as ``iss`` and
  its client in ``aud``, and the user-info ``sub`` must be the ID token's.
- **Who.** One existing, active account whose email matches the provider's *verified*
  email, case-insensitively, whose staff record (if any) has not passed its leaving
  date, and, for an organisation's provider, whose staff record is in that
  organisation: organisation B's provider can never sign in a person of organisation
  A, whatever email it vouches for. The site's provider signs in no one whose
  organisation has a provider of its own. Nothing else signs in; no account is ever
  created or changed from claims (roles come only from Sustain).
- **Passwords off.** An organisation may turn Sustain passwords off for its people
  (``passwords_off_for``): they sign in only through its provider. Platform admins
  keep their password, for when a provider is down (break-glass, logged).

The second factor is still Sustain's to ask for: a privileged person signing in this
way verifies their code or passkey as after a password. With ``OIDC_TRUST_MFA_CLAIM``
on, an ID token whose ``amr`` claim says ``mfa`` counts as that second factor for the
session instead (for a provider that enforces MFA itself).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from accounts.models import OrganisationSignIn, User
from accounts.roles import Role, has_role

log = logging.getLogger("sustain.security")

REFUSAL = "sustain_sso_refusal"
AMR = "sustain_sso_amr"
# The request attribute the callback sets for the backend: the provider it is for.
PROVIDER = "sustain_sso_provider"
# Session: state sent to a provider -> which provider ("site" or "org:<id>").
STATES = "sustain_sso_states"
MAX_STATES = 50
SITE = "site"
# Set on the request when a right password was refused because passwords are off.
PASSWORDS_OFF = "sustain_passwords_off"
# RFC 8176 names multiple-factor authentication "mfa"; Microsoft Entra ID sends it.
MFA_AMR = frozenset({"mfa"})
GENERIC_REFUSAL = (
    "Single sign-on did not finish. Try again, or sign in with your email and password."
)


@dataclass(frozen=True)
class Provider:
    """Everything the sign-in needs to talk to one OpenID Connect provider."""

    key: str
    name: str
    client_id: str
    client_secret: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_endpoint: str
    sign_algo: str
    # Checked against the ID token's ``iss``; the site's provider may leave it blank.
    issuer: str = ""
    organisation_id: int | None = None
    organisation_name: str = ""


def is_enabled() -> bool:
    """Say whether the site's own provider (the ``OIDC_*`` settings) is configured."""
    return bool(settings.OIDC_RP_CLIENT_ID and settings.OIDC_OP_AUTHORIZATION_ENDPOINT)


def has_organisation_providers() -> bool:
    """Say whether any organisation has its own provider switched on."""
    return OrganisationSignIn.objects.filter(enabled=True).exists()


def is_offered() -> bool:
    """Say whether the sign-in page should offer single sign-on at all."""
    return is_enabled() or has_organisation_providers()


def site_provider() -> Provider | None:
    """Return the site's own provider, if the settings name one."""
    if not is_enabled():
        return None
    return Provider(
        key=SITE,
        name=settings.OIDC_PROVIDER_NAME,
        client_id=settings.OIDC_RP_CLIENT_ID,
        client_secret=settings.OIDC_RP_CLIENT_SECRET,
        authorization_endpoint=settings.OIDC_OP_AUTHORIZATION_ENDPOINT,
        token_endpoint=settings.OIDC_OP_TOKEN_ENDPOINT,
        userinfo_endpoint=settings.OIDC_OP_USER_ENDPOINT,
        jwks_endpoint=settings.OIDC_OP_JWKS_ENDPOINT,
        sign_algo=settings.OIDC_RP_SIGN_ALGO,
        issuer=settings.OIDC_OP_ISSUER,
    )


def secret_variable(config: OrganisationSignIn) -> str:
    """Name the environment variable that may hold an organisation's client secret."""
    slug = re.sub(r"[^A-Z0-9]+", "_", config.organisation.slug.upper()).strip("_")
    return f"OIDC_CLIENT_SECRET_{slug}"


def client_secret(config: OrganisationSignIn) -> str:
    """Return the stored secret, or the one in the environment when none is stored."""
    return config.client_secret or os.environ.get(secret_variable(config), "")


def organisation_provider(config: OrganisationSignIn) -> Provider:
    return Provider(
        key=f"org:{config.organisation_id}",
        name=config.provider_name,
        client_id=config.client_id,
        client_secret=client_secret(config),
        authorization_endpoint=config.authorization_endpoint,
        token_endpoint=config.token_endpoint,
        userinfo_endpoint=config.userinfo_endpoint,
        jwks_endpoint=config.jwks_endpoint,
        sign_algo=config.sign_algo,
        issuer=config.issuer,
        organisation_id=config.organisation_id,
        organisation_name=config.organisation.name,
    )


def _enabled_configs() -> QuerySet[OrganisationSignIn]:
    return OrganisationSignIn.objects.filter(enabled=True).select_related(
        "organisation"
    )


def provider_for_key(key: str | None) -> Provider | None:
    """Return the provider a stored state named, if it is still enabled."""
    if key == SITE:
        return site_provider()
    if key and key.startswith("org:") and key[4:].isdigit():
        config = _enabled_configs().filter(organisation_id=int(key[4:])).first()
        return organisation_provider(config) if config else None
    return None


def email_domain(email: str) -> str:
    local, at, domain = (email or "").strip().rpartition("@")
    return domain.lower() if at and local and domain else ""


def configs_for_email(email: str) -> list[OrganisationSignIn]:
    """Return the enabled organisation providers whose domains hold this email."""
    domain = email_domain(email)
    if not domain:
        return []
    return [config for config in _enabled_configs() if domain in config.domains()]


def start_url(
    config: OrganisationSignIn, *, next_url: str = "", email: str = ""
) -> str:
    """Return the address that starts signing in through an organisation's provider."""
    url = reverse("sso_start", kwargs={"organisation": config.organisation.slug})
    query = {k: v for k, v in (("next", next_url), ("email", email)) if v}
    return f"{url}?{urlencode(query)}" if query else url


def _is_break_glass(user: User) -> bool:
    return bool(user.is_superuser or has_role(user, Role.PLATFORM_ADMIN))


def passwords_off_for(user: User) -> OrganisationSignIn | None:
    """Return the rule that refuses this person a password, if their organisation
    turned passwords off (never for a platform admin: their break-glass)."""
    if _is_break_glass(user):
        return None
    return (
        _enabled_configs()
        .filter(passwords_off=True, organisation__staff__user=user)
        .first()
    )


def is_break_glass_use(user: User) -> bool:
    """Say whether a platform admin is using a password their organisation's rule
    would refuse anyone else (logged, so the use of break-glass can be reviewed)."""
    return _is_break_glass(user) and (
        _enabled_configs()
        .filter(passwords_off=True, organisation__staff__user=user)
        .exists()
    )


def passwords_off_for_email(email: str) -> OrganisationSignIn | None:
    """Return the passwords-off rule of the organisation an email's domain belongs to.

    Judged on the domain alone, so the answer says nothing about whether an account
    with that email exists.
    """
    for config in configs_for_email(email):
        if config.passwords_off:
            return config
    return None


def _refuse(request: HttpRequest, reason: str) -> None:
    setattr(request, REFUSAL, reason)


class SignInBackend(OIDCAuthenticationBackend):
    """Match a provider identity to one existing, active person by verified email."""

    provider: Provider | None = None

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        if request is None or "code" not in request.GET:
            return None  # not a single sign-on callback (a password sign-in, say)
        provider = getattr(request, PROVIDER, None)
        if not isinstance(provider, Provider):
            log.warning("sso refused: the callback's state names no provider")
            return None
        self.provider = provider
        self.OIDC_OP_TOKEN_ENDPOINT = provider.token_endpoint
        self.OIDC_OP_USER_ENDPOINT = provider.userinfo_endpoint
        self.OIDC_OP_JWKS_ENDPOINT = provider.jwks_endpoint
        self.OIDC_RP_CLIENT_ID = provider.client_id
        self.OIDC_RP_CLIENT_SECRET = provider.client_secret
        self.OIDC_RP_SIGN_ALGO = provider.sign_algo
        self.OIDC_RP_IDP_SIGN_KEY = None
        try:
            user: User | None = super().authenticate(request, **kwargs)
        except SuspiciousOperation as error:
            log.warning("sso refused by %s: %s", provider.key, error)
            return None
        return user

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """Check the signature (the library), then that the token is this provider's
        and for this client: a token another provider signed cannot pass."""
        payload: dict[str, Any] = super().verify_token(token, **kwargs)
        provider = self.provider
        assert provider is not None
        if provider.issuer and payload.get("iss") != provider.issuer:
            raise SuspiciousOperation("ID token from another issuer")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if provider.client_id not in audiences:
            raise SuspiciousOperation("ID token for another client")
        return payload

    def get_userinfo(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        claims: dict[str, Any] = super().get_userinfo(access_token, id_token, payload)
        # OpenID Connect Core 5.3.2: user info about anyone else must not be used.
        if not claims.get("sub") or claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("user info is about another subject")
        return claims

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
        provider = self.provider
        if provider is not None and provider.organisation_id is not None:
            # An organisation's provider vouches for its own people only.
            users = users.filter(profile__organisation_id=provider.organisation_id)
            where = f" at {provider.organisation_name}"
        else:
            # People whose organisation has its own provider sign in through it.
            users = users.exclude(profile__organisation__sign_in__enabled=True)
            where = ""
        if not users:
            log.warning("sso refused: no active account for the verified email")
            _refuse(
                self.request,
                f"There is no active Sustain account{where} for {email}. If you "
                "work there, ask your manager to add you to the staff roster.",
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


class SignInStartView(OIDCAuthenticationRequestView):
    """Send the browser to the chosen provider (404 where it is not set up)."""

    def get(self, request: HttpRequest, organisation: str = "") -> HttpResponse:
        if organisation:
            config = _enabled_configs().filter(organisation__slug=organisation).first()
            provider = organisation_provider(config) if config else None
        else:
            provider = site_provider()
        if provider is None:
            raise Http404
        self.OIDC_OP_AUTH_ENDPOINT = provider.authorization_endpoint
        self.OIDC_RP_CLIENT_ID = provider.client_id
        response: HttpResponse = super().get(request)
        state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
        states = request.session.get(STATES)
        states = states if isinstance(states, dict) else {}
        states[state] = provider.key
        request.session[STATES] = dict(list(states.items())[-MAX_STATES:])
        return response

    def get_extra_params(self, request: HttpRequest) -> dict[str, str]:
        params: dict[str, str] = dict(super().get_extra_params(request))
        email = request.GET.get("email", "").strip()
        if email_domain(email):
            params["login_hint"] = email[:254]
        return params


class SignInCallbackView(OIDCAuthenticationCallbackView):
    """Finish the sign-in with the provider it began at; explain a refusal."""

    def get(self, request: HttpRequest) -> HttpResponse:
        states = request.session.get(STATES)
        key = None
        if isinstance(states, dict):
            key = states.pop(request.GET.get("state", ""), None)
            request.session[STATES] = states
        setattr(request, PROVIDER, provider_for_key(key))
        response: HttpResponse = super().get(request)
        return response

    def login_failure(self) -> HttpResponse:
        messages.error(self.request, getattr(self.request, REFUSAL, GENERIC_REFUSAL))
        return redirect("accounts:login")

    def login_success(self) -> HttpResponse:
        from accounts import two_factor

        response: HttpResponse = super().login_success()
        amr = set(getattr(self.request, AMR, []))
        if settings.OIDC_TRUST_MFA_CLAIM and amr & MFA_AMR:
            self.request.session[two_factor.PROVIDER_MFA_SESSION_KEY] = True
        provider = getattr(self.request, PROVIDER, None)
        log.info(
            "sso sign-in user=%s provider=%s amr=%s",
            self.user.pk,
            provider.key if isinstance(provider, Provider) else "",
            sorted(amr),
        )
        return response
