"""A person the roster creates gets in: invitation, first password, sign in by email.

Chromium drives every page, and axe-core checks each one.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Invitation, User
from accounts.roles import Role
from notifications.models import Notification, NotificationKind, NotificationStatus
from notifications.services import deliver_pending
from tests.factories import (
    JobRoleFactory,
    OrganisationFactory,
    StaffProfileFactory,
    TeamFactory,
    UserFactory,
)
from workforce.roster import COLUMNS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MANAGER_PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a long new password for sustain"
LINK = re.compile(r"https?://[^\s\"<>]+/accounts/invitation/[^\s\"<>/]+/")


@pytest.fixture
def manager() -> User:
    org = OrganisationFactory(name="Safe Harbour", slug="safe-harbour")
    TeamFactory(organisation=org, name="Team A")
    JobRoleFactory(name="Social worker", slug="social-worker")
    profile = StaffProfileFactory(
        organisation=org,
        user=UserFactory(
            username="manager@harbour.example", roles=[Role.PROVIDER_MANAGER]
        ),
    )
    return profile.user


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def _delivered_link(to: str) -> str:
    """Run the outbox relay once and return the invitation link emailed to ``to``."""
    deliver_pending(now=timezone.now())
    [message] = [m for m in mail.outbox if to in m.to]
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(0)


def _import_one(page, sign_in, check, email: str, first: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in as the manager and import a roster of one new person."""
    sign_in("manager@harbour.example", MANAGER_PASSWORD)
    check(page)
    page.goto("/workforce/roster/import/")
    check(page)
    page.get_by_label("Check the file only").uncheck()
    _upload(
        page,
        f"{email},{first},New,Safe Harbour,Team A,Social worker,2025-09-01,,1.0,,\n",
    )
    assert "Roster imported. Created 1" in page.locator("main").inner_text()


def _upload(page, rows: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("Roster file (CSV or Excel .xlsx)").set_input_files(
        {
            "name": "roster.csv",
            "mimeType": "text/csv",
            "buffer": (",".join(COLUMNS) + "\n" + rows).encode(),
        }
    )
    page.get_by_role("button", name="Upload").click()


class TestInvitationJourney:
    def test_an_imported_person_sets_a_password_and_signs_in_with_their_email(
        self, page, manager, sign_in, assert_accessible
    ):
        _import_one(page, sign_in, assert_accessible, "ada.new@harbour.example", "Ada")
        assert_accessible(page)

        ada = User.objects.get(email="ada.new@harbour.example")
        assert not ada.has_usable_password()
        row = Notification.objects.get(recipient=ada)
        assert row.kind == NotificationKind.INVITATION
        assert row.status == NotificationStatus.PENDING
        link = _delivered_link("ada.new@harbour.example")

        page.context.clear_cookies()
        page.goto(_path(link))
        assert page.get_by_role("heading", name="Set your password").is_visible()
        assert "ada.new@harbour.example" in page.locator("main").inner_text()
        assert_accessible(page)
        # A password that does not match is explained beside the field.
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("New password confirmation").fill(NEW_PASSWORD + "x")
        page.get_by_role("button", name="Set password").click()
        assert "match" in page.locator(".govuk-error-summary").inner_text()
        assert_accessible(page)
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Set password").click()

        page.wait_for_url("**/accounts/login/")
        assert "Your password is set" in page.locator("main").inner_text()
        assert_accessible(page)
        # Signs in with the email as typed in another letter case.
        page.get_by_label("Username or email").fill("Ada.New@Harbour.example")
        page.get_by_label("Password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/")
        assert page.get_by_role("button", name="Sign out").count() == 1
        assert_accessible(page)

        # The link is spent: it says so, and points to sign-in.
        page.context.clear_cookies()
        response = page.goto(_path(link))
        assert response is not None and response.status == 410
        assert page.get_by_role("heading", name="This link has been used").is_visible()
        assert_accessible(page)

    def test_an_expired_link_says_so_and_sends_a_new_one_that_works(
        self, page, manager, sign_in, assert_accessible
    ):
        _import_one(page, sign_in, assert_accessible, "ben.new@harbour.example", "Ben")
        old_link = _delivered_link("ben.new@harbour.example")
        past = timezone.now() - timedelta(days=30)
        Invitation.objects.update(created_at=past, expires_at=past + timedelta(days=7))
        mail.outbox.clear()

        page.context.clear_cookies()
        response = page.goto(_path(old_link))
        assert response is not None and response.status == 410
        assert page.get_by_role("heading", name="This link has expired").is_visible()
        assert page.get_by_label("New password", exact=True).count() == 0
        assert_accessible(page)
        page.get_by_role("button", name="Send me a new link").click()
        assert page.get_by_role("heading", name="Check your email").is_visible()
        assert_accessible(page)

        new_link = _delivered_link("ben.new@harbour.example")
        assert new_link != old_link
        page.goto(_path(new_link))
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Set password").click()
        page.wait_for_url("**/accounts/login/")
        page.get_by_label("Username or email").fill("ben.new@harbour.example")
        page.get_by_label("Password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/")
        assert page.get_by_role("button", name="Sign out").count() == 1
