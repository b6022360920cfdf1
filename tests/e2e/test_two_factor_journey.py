"""An admin's second factor, in Chromium: an authenticator app, then a passkey.

The passkey half uses Chromium's own virtual authenticator (the DevTools protocol's
WebAuthn domain), so the browser really creates and signs with a key pair; nothing
on the server side is stubbed. Every Sustain page is checked with axe-core.
"""

from __future__ import annotations

import time
from base64 import b32decode
from urllib.parse import urlsplit

import pytest
from django_otp.oath import totp

from accounts.models import Passkey, User
from accounts.roles import Role
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
VERIFY = "/accounts/two-factor/"
# Pages that must all stop at the second factor: Sustain's own, the Wagtail admin,
# and adding another second factor (a password alone must not add a passkey).
GUARDED = [
    "/",
    "/admin/",
    "/admin/pages/",
    "/workforce/roster/import/",
    "/accounts/two-factor/passkey/",
]


@pytest.fixture(autouse=True)
def _two_factor_on(settings, live_server):  # type: ignore[no-untyped-def]
    settings.TWO_FACTOR_REQUIRED = True
    # Passkeys are bound to the site's address; here that is the test server's.
    settings.SITE_URL = live_server.url


@pytest.fixture
def admin() -> User:
    return UserFactory(username="admin@sustain.example", roles=[Role.PLATFORM_ADMIN])


def _password_step(page, user: User) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("Username or email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/two-factor/**")


def _sign_out(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/")
    assert page.get_by_role("button", name="Sign out").count() == 0


def _assert_every_page_stops_at_the_second_factor(page) -> None:  # type: ignore[no-untyped-def]
    for path in GUARDED:
        page.goto(path)
        assert page.url.split("?")[0].endswith(VERIFY), f"{path} -> {page.url}"
    assert page.get_by_role("heading", level=1).count() == 1


def _assert_admin_opens(page) -> None:  # type: ignore[no-untyped-def]
    response = page.goto("/admin/")
    assert response is not None and response.status == 200
    assert "/admin/" in page.url and VERIFY not in page.url
    assert "Dashboard" in page.title() or "Wagtail" in page.title()


def _totp(key: str, *, drift: int = 0) -> str:
    key = key.replace(" ", "")
    return f"{totp(b32decode(key + '=' * (-len(key) % 8)), drift=drift):06d}"


class TestAuthenticatorApp:
    def test_an_admin_enrols_signs_out_and_needs_a_code_for_every_page(
        self, page, admin, assert_accessible
    ):
        _password_step(page, admin)
        assert page.url.split("?")[0].endswith("/accounts/two-factor/set-up/")
        assert_accessible(page)
        key = page.get_by_test_id("setup-key").text_content() or ""
        page.get_by_label("Code from your authenticator app").fill(_totp(key))
        page.get_by_role("button", name="Continue").click()
        assert page.get_by_role(
            "heading", name="Two-factor authentication is set up"
        ).is_visible()
        assert page.get_by_test_id("backup-codes").locator("li").count() == 10
        assert_accessible(page)
        page.get_by_role("link", name="Continue").click()
        assert page.get_by_role("button", name="Sign out").count() == 1
        _sign_out(page)

        _password_step(page, admin)
        assert_accessible(page)
        _assert_every_page_stops_at_the_second_factor(page)
        page.get_by_label("Code").fill("123456")
        page.get_by_role("button", name="Continue").click()
        assert (
            "The code is not right" in page.locator(".govuk-error-summary").inner_text()
        )
        assert_accessible(page)
        _assert_every_page_stops_at_the_second_factor(page)

        time.sleep(1.1)  # django-otp makes the next try wait after a wrong code
        page.goto(f"{VERIFY}?next=/admin/")
        # The next time step: the one used at enrolment cannot be used twice.
        page.get_by_label("Code").fill(_totp(key, drift=1))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(lambda url: urlsplit(url).path == "/admin/")
        _assert_admin_opens(page)
        page.goto("/")
        assert page.get_by_role("button", name="Sign out").count() == 1
        assert_accessible(page)


@pytest.fixture
def authenticator(page):  # type: ignore[no-untyped-def]
    """Give the page a platform authenticator that says yes (Chromium's own)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    created = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    authenticator_id = created["authenticatorId"]

    def credentials() -> list[dict[str, object]]:
        found = cdp.send(
            "WebAuthn.getCredentials", {"authenticatorId": authenticator_id}
        )
        return found["credentials"]

    return credentials


class TestPasskey:
    def test_an_admin_enrols_a_passkey_signs_out_and_needs_it_for_every_page(
        self, page, admin, authenticator, assert_accessible
    ):
        _password_step(page, admin)
        page.get_by_role("link", name="use a passkey instead").click()
        assert page.get_by_role("heading", name="Add a passkey").is_visible()
        assert_accessible(page)
        page.get_by_label("Name for this passkey").fill("Work laptop")
        page.get_by_role("button", name="Add a passkey").click()
        page.wait_for_url("**/accounts/two-factor/backup-codes/**")
        assert page.get_by_test_id("backup-codes").locator("li").count() == 10
        assert_accessible(page)
        [stored] = Passkey.objects.filter(user=admin)
        assert stored.name == "Work laptop"
        [held] = authenticator()
        assert held["rpId"] == "localhost"
        page.get_by_role("link", name="Continue").click()
        assert page.get_by_role("button", name="Sign out").count() == 1
        _sign_out(page)

        _password_step(page, admin)
        assert page.get_by_role("button", name="Use your passkey").is_visible()
        assert not page.locator("#passkey-error").is_visible()
        assert_accessible(page)
        _assert_every_page_stops_at_the_second_factor(page)

        page.goto(f"{VERIFY}?next=/admin/")
        page.get_by_role("button", name="Use your passkey").click()
        page.wait_for_url(lambda url: urlsplit(url).path == "/admin/")
        _assert_admin_opens(page)
        stored.refresh_from_db()
        assert stored.last_used_at is not None
        assert stored.sign_count == authenticator()[0]["signCount"] > 0

    def test_a_passkey_whose_counter_goes_backwards_is_refused(
        self, page, admin, authenticator, assert_accessible
    ):
        _password_step(page, admin)
        page.goto("/accounts/two-factor/passkey/")
        page.get_by_role("button", name="Add a passkey").click()
        page.wait_for_url("**/accounts/two-factor/backup-codes/**")
        _sign_out(page)
        # As if the real key had signed 1000 times and this is a copy that lags.
        Passkey.objects.filter(user=admin).update(sign_count=1000)

        _password_step(page, admin)
        page.get_by_role("button", name="Use your passkey").click()
        error = page.locator("#passkey-error")
        error.wait_for(state="visible")
        assert "not accepted" in error.inner_text()
        assert_accessible(page)
        _assert_every_page_stops_at_the_second_factor(page)
        assert Passkey.objects.get(user=admin).sign_count == 1000
