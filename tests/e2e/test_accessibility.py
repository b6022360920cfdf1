"""Every page a role lands on meets WCAG 2.2 AA as axe-core checks it in Chromium."""

import re

import pytest
from django.core.management import call_command

from accounts.sign_in_settings import save_sign_in
from workforce.demo import DEMO_LOGINS, DEMO_PASSWORD
from workforce.models import Organisation

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Pages each demo login should reach; later features add theirs.
PAGES_BY_LOGIN = {
    "practitioner": [
        "/",
        "/learning/",
        "/training/",
        "/training/understanding-cse/",
        "/supervision/",
        "/supervision/check-ins/",
    ],
    "supervisor": [
        "/",
        "/supervision/supervisees/",
        "/supervision/sessions/new/",
        "/learning/team/",
        "/notifications/",
        "/notifications/email/",
    ],
    "manager": [
        "/",
        "/workforce/roster/import/",
        "/learning/team/history/import/",
        "/supervision/organisation/",
        "/learning/team/",
        "/commissioning/",
        "/notifications/email/",
    ],
    "commissioner": ["/", "/commissioning/", "/commissioning/api-token/"],
    "editor": ["/"],
    "admin": ["/", "/commissioning/"],
}


@pytest.fixture
def demo():  # type: ignore[no-untyped-def]
    call_command("seed_demo", "--quiet-logins")


class TestAccessibility:
    def test_the_sign_in_page_has_no_violations(self, page, assert_accessible):
        page.goto("/accounts/login/")

        assert_accessible(page)

    def test_the_sign_in_errors_have_no_violations(self, page, assert_accessible):
        page.goto("/accounts/login/")
        page.get_by_role("button", name="Sign in").click()

        assert page.get_by_text("There is a problem").is_visible()
        assert_accessible(page)

    def test_every_role_s_pages_have_no_violations(
        self, page, demo, sign_in, assert_accessible
    ):
        for username, *_ in DEMO_LOGINS:
            page.context.clear_cookies()
            sign_in(username, DEMO_PASSWORD)
            for path in PAGES_BY_LOGIN[username]:
                response = page.goto(path)
                assert response.status == 200, f"{username} {path}"
                assert page.locator("h1").count() == 1, f"{username} {path}"
                assert_accessible(page)

    def test_the_email_settings_errors_have_no_violations(
        self, page, demo, sign_in, assert_accessible
    ):
        sign_in("supervisor", DEMO_PASSWORD)
        page.goto("/notifications/email/")
        # A choice the form does not offer (as a stale or tampered page would send).
        page.locator("input[type=radio]").first.evaluate("radio => radio.value = 'x'")
        page.locator("input[type=radio]").first.check()
        page.get_by_role("button", name="Save").click()

        assert page.get_by_text("There is a problem").is_visible()
        assert_accessible(page)

    def test_the_organisation_sign_in_pages_have_no_violations(
        self, page, demo, assert_accessible
    ):
        # Two organisations sharing an email domain (a council and its service).
        for organisation in Organisation.objects.filter(is_provider=True)[:2]:
            save_sign_in(
                actor=None,
                organisation=organisation,
                values={
                    "enabled": True,
                    "provider_name": f"{organisation.name} account",
                    "email_domains": "shared.example",
                    "issuer": f"https://{organisation.slug}.idp.example",
                    "client_id": "sustain",
                    "authorization_endpoint": f"https://{organisation.slug}.idp.example/a",
                    "token_endpoint": f"https://{organisation.slug}.idp.example/t",
                    "userinfo_endpoint": f"https://{organisation.slug}.idp.example/u",
                    "jwks_endpoint": f"https://{organisation.slug}.idp.example/j",
                    "sign_algo": "RS256",
                    "passwords_off": False,
                },
                new_secret="not-used",
            )
        page.goto("/accounts/login/")
        page.get_by_role("link", name="Sign in with your organisation").click()
        assert_accessible(page)

        page.get_by_label("Work email").fill("someone@nowhere.example")
        page.get_by_role("button", name="Continue").click()
        assert page.get_by_text("There is a problem").is_visible()
        assert_accessible(page)

        page.get_by_label("Work email").fill("someone@shared.example")
        page.get_by_role("button", name="Continue").click()
        choices = page.get_by_role(
            "link", name=re.compile(r"^Sign in with .+ account$")
        )
        assert choices.count() == 2
        assert_accessible(page)

    def test_the_not_found_page_has_no_violations(self, page, assert_accessible):
        response = page.goto("/no-such-page/")

        assert response.status == 404
        assert_accessible(page)
