"""Single sign-on in Chromium against a real OpenID Connect provider on loopback.

The provider is the oidc-provider npm package, started by the test from
tests/e2e/oidc_provider.mjs. Sustain's pages are checked with axe-core.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.roles import Role
from tests.factories import StaffProfileFactory, UserFactory
from workforce.dates import today

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "sustain-test"
CLIENT_SECRET = "loopback-only-client-secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def provider(live_server, settings) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Start the loopback provider for this test's server; point Sustain at it."""
    node = shutil.which("node")
    if not node:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("needs node (CI requires it)")
        pytest.skip("needs node")
    port = _free_port()
    process = subprocess.Popen(
        [node, str(ROOT / "tests" / "e2e" / "oidc_provider.mjs")],
        cwd=ROOT,
        env={
            **os.environ,
            "OIDC_TEST_PORT": str(port),
            "OIDC_TEST_CLIENT_ID": CLIENT_ID,
            "OIDC_TEST_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_TEST_REDIRECT_URI": f"{live_server.url}/oidc/callback/",
        },
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("ready "), f"the provider did not start: {line!r}"
        issuer = line.split()[1]
        settings.OIDC_RP_CLIENT_ID = CLIENT_ID
        settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
        settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{issuer}/auth"
        settings.OIDC_OP_TOKEN_ENDPOINT = f"{issuer}/token"
        settings.OIDC_OP_USER_ENDPOINT = f"{issuer}/me"
        settings.OIDC_OP_JWKS_ENDPOINT = f"{issuer}/jwks"
        settings.OIDC_PROVIDER_NAME = "Safe Harbour"
        yield issuer
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def ada() -> User:
    return StaffProfileFactory(
        user=UserFactory(username="ada", email="ada@harbour.example")
    ).user


def _sign_in_at_provider(  # type: ignore[no-untyped-def]
    page, check, email: str, *, mfa: bool = False
) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    check(page)
    page.get_by_role("link", name="Sign in with your organisation").click()
    page.wait_for_url("http://127.0.0.1:*/interaction/**")
    check(page)
    page.get_by_label("Work email").fill(email)
    if mfa:
        page.get_by_label("I used a second factor").check()
    page.get_by_role("button", name="Sign in at provider").click()
    page.wait_for_url(lambda url: urlsplit(url).hostname == "localhost")


def _path(page) -> str:  # type: ignore[no-untyped-def]
    return urlsplit(page.url).path


class TestSingleSignOn:
    def test_a_person_on_the_roster_signs_in_through_their_provider(
        self, page, provider, ada, assert_accessible
    ):
        accounts = User.objects.count()

        _sign_in_at_provider(page, assert_accessible, "Ada@Harbour.example")

        assert _path(page) == "/"
        assert page.get_by_role("button", name="Sign out").count() == 1
        assert_accessible(page)
        assert User.objects.count() == accounts
        # Claims changed nothing on the account.
        ada.refresh_from_db()
        assert (ada.username, ada.email) == ("ada", "ada@harbour.example")

    @pytest.mark.parametrize(
        ("email", "message"),
        [
            ("stranger@elsewhere.example", "no active Sustain account"),
            ("unverified.ada@harbour.example", "did not confirm your email"),
            ("leaver@harbour.example", "no active Sustain account"),
            ("inactive@harbour.example", "no active Sustain account"),
        ],
        ids=["unknown", "unverified", "leaver", "inactive"],
    )
    def test_anyone_else_is_refused_and_no_account_is_created(
        self, page, provider, ada, assert_accessible, email, message
    ):
        StaffProfileFactory(
            user=UserFactory(username="leaver", email="leaver@harbour.example"),
            left_on=today() - timedelta(days=1),
        )
        UserFactory(username="inactive", email="inactive@harbour.example")
        User.objects.filter(username="inactive").update(is_active=False)
        # The unverified address is also on an account: verification is what fails.
        UserFactory(username="unverified", email="unverified.ada@harbour.example")
        accounts = User.objects.count()

        _sign_in_at_provider(page, assert_accessible, email)

        assert _path(page) == "/accounts/login/"
        assert message in page.locator("main").inner_text()
        assert page.get_by_role("button", name="Sign out").count() == 0
        assert_accessible(page)
        assert User.objects.count() == accounts
        assert page.goto("/").url.split("?")[0].endswith("/accounts/login/")

    def test_a_manager_still_gives_their_second_factor_unless_the_provider_did(
        self, page, provider, settings, assert_accessible
    ):
        settings.TWO_FACTOR_REQUIRED = True
        manager = UserFactory(
            username="manager",
            email="manager@harbour.example",
            roles=[Role.PROVIDER_MANAGER],
        )
        StaffProfileFactory(user=manager)
        TOTPDevice.objects.create(user=manager, name="Phone", confirmed=True)

        _sign_in_at_provider(page, assert_accessible, "manager@harbour.example")
        assert _path(page) == "/accounts/two-factor/"
        assert_accessible(page)
        page.goto("/admin/")
        assert _path(page) == "/accounts/two-factor/"

        # The provider's "mfa" is not trusted unless the setting says so.
        _sign_in_at_provider(
            page, assert_accessible, "manager@harbour.example", mfa=True
        )
        assert _path(page) == "/accounts/two-factor/"

        settings.OIDC_TRUST_MFA_CLAIM = True
        _sign_in_at_provider(page, assert_accessible, "manager@harbour.example")
        assert _path(page) == "/accounts/two-factor/"
        _sign_in_at_provider(
            page, assert_accessible, "manager@harbour.example", mfa=True
        )
        assert _path(page) == "/"
        assert page.get_by_role("button", name="Sign out").count() == 1
        assert_accessible(page)
