"""In-process OpenID Connect providers for the single sign-on tests.

Each provider has its own RSA key and issuer, and answers the token, keys and
user-info requests mozilla-django-oidc makes (by patching ``requests``), so a test
can have organisation B's provider vouch for an email, or hand a token signed by B
to a sign-in begun at A, exactly as a hostile provider would.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from accounts.models import OrganisationSignIn
from accounts.sign_in_settings import save_sign_in
from workforce.models import Organisation


@dataclass
class FakeProvider:
    name: str
    client_id: str = "sustain"
    # What the next token exchange returns: the identity and anything to override.
    email: str = ""
    email_verified: bool = True
    amr: list[str] = field(default_factory=lambda: ["pwd"])
    id_token_overrides: dict[str, Any] = field(default_factory=dict)
    userinfo_overrides: dict[str, Any] = field(default_factory=dict)
    # A provider whose key signs this one's tokens (a token "from B" handed to A).
    signed_by: FakeProvider | None = None

    def __post_init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = f"{self.name}-key"

    @property
    def issuer(self) -> str:
        return f"https://{self.name}.idp.example"

    def endpoints(self) -> dict[str, str]:
        return {
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_endpoint": f"{self.issuer}/jwks",
        }

    def jwks(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def id_token(self, nonce: str) -> str:
        signer = self.signed_by or self
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": f"{self.name}|{self.email}",
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "amr": self.amr,
            **self.id_token_overrides,
        }
        return jwt.encode(
            claims, signer.key, algorithm="RS256", headers={"kid": signer.kid}
        )

    def userinfo(self) -> dict[str, Any]:
        return {
            "sub": f"{self.name}|{self.email}",
            "email": self.email,
            "email_verified": self.email_verified,
            **self.userinfo_overrides,
        }


class _Response:
    def __init__(self, body: dict[str, Any], url: str) -> None:
        self._body = body
        self.status_code = 200
        self.url = url
        self.text = json.dumps(body)
        self.headers = {"content-type": "application/json"}

    def json(self) -> dict[str, Any]:
        return self._body

    def raise_for_status(self) -> None:
        return None


class Providers:
    """Every fake provider in a test, and the network between Sustain and them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.by_host: dict[str, FakeProvider] = {}
        self.nonces: dict[str, str] = {}
        monkeypatch.setattr("requests.get", self._get)
        monkeypatch.setattr("requests.post", self._post)

    def add(self, name: str, **kwargs: Any) -> FakeProvider:
        provider = FakeProvider(name, **kwargs)
        self.by_host[urlsplit(provider.issuer).hostname or ""] = provider
        return provider

    def _provider(self, url: str) -> FakeProvider:
        return self.by_host[urlsplit(url).hostname or ""]

    def _get(self, url: str, **kwargs: Any) -> _Response:
        provider = self._provider(url)
        path = urlsplit(url).path
        if path == "/jwks":
            return _Response(provider.jwks(), url)
        if path == "/userinfo":
            return _Response(provider.userinfo(), url)
        if path.endswith("/.well-known/openid-configuration"):
            endpoints = provider.endpoints()
            return _Response(
                {
                    "issuer": provider.issuer,
                    **{k: v for k, v in endpoints.items() if k != "jwks_endpoint"},
                    "jwks_uri": endpoints["jwks_endpoint"],
                },
                url,
            )
        raise AssertionError(f"unexpected GET {url}")

    def _post(self, url: str, data: dict[str, Any], **kwargs: Any) -> _Response:
        provider = self._provider(url)
        assert urlsplit(url).path == "/token"
        assert data["client_id"] == provider.client_id
        assert data["code_verifier"]  # PKCE
        nonce = self.nonces[data["code"]]
        return _Response(
            {"id_token": provider.id_token(nonce), "access_token": "at"}, url
        )

    def sign_in(self, client: Any, start_path: str, *, code: str = "code-1") -> Any:
        """Start at Sustain, 'authenticate' at the provider, return the callback."""
        start = client.get(start_path)
        assert start.status_code == 302, start
        query = parse_qs(urlsplit(start["Location"]).query)
        self.nonces[code] = query["nonce"][0]
        return client.get("/oidc/callback/", {"code": code, "state": query["state"][0]})


def configure(
    organisation: Organisation,
    provider: FakeProvider,
    *,
    domains: str,
    passwords_off: bool = False,
    actor: Any = None,
) -> OrganisationSignIn:
    """Give an organisation this provider, through the admin's service."""
    return save_sign_in(
        actor=actor,
        organisation=organisation,
        values={
            "enabled": True,
            "provider_name": f"{organisation.name} account",
            "email_domains": domains,
            "issuer": provider.issuer,
            "client_id": provider.client_id,
            **provider.endpoints(),
            "sign_algo": "RS256",
            "passwords_off": passwords_off,
        },
        new_secret=f"{provider.name}-secret",
    )
