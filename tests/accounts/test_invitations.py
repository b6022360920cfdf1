"""Invitations: people the roster creates can set a password and sign in."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, User
from accounts.roles import Role
from notifications.models import Notification, NotificationKind
from tests.factories import (
    JobRoleFactory,
    OrganisationFactory,
    StaffProfileFactory,
    UserFactory,
)
from workforce.roster import COLUMNS, import_roster

pytestmark = pytest.mark.django_db
PASSWORD = "a long new password for sustain"
HEADER = ",".join(COLUMNS)


def roster_csv(email="new.person@harbour.example", org="Safe Harbour") -> str:
    return f"{HEADER}\n{email},New,Person,{org},Team A,Social worker,2025-01-06,,1,,\n"


@pytest.fixture
def manager():
    org = OrganisationFactory(name="Safe Harbour", slug="safe-harbour")
    JobRoleFactory(name="Social worker", slug="social-worker")
    return StaffProfileFactory(
        organisation=org,
        user=UserFactory(username="manager", roles=[Role.PROVIDER_MANAGER]),
    )


def invitation_link(user: User) -> str:
    row = Notification.objects.get(recipient=user, kind=NotificationKind.INVITATION)
    return re.search(r"https?://\S+/accounts/invitation/\S+/", row.body_text).group(0)


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def set_password(client, link: str, password: str = PASSWORD):
    return client.post(
        path_of(link), {"new_password1": password, "new_password2": password}
    )


class TestRosterInvitations:
    def test_a_person_the_roster_creates_is_invited_through_the_outbox(self, manager):
        import_roster(roster_csv(), importer=manager.user)

        person = User.objects.get(email="new.person@harbour.example")
        row = Notification.objects.get(recipient=person)
        assert row.kind == NotificationKind.INVITATION
        assert "Set your password" in row.subject
        assert "/accounts/invitation/" in row.body_html

    def test_the_invited_person_sets_a_password_and_signs_in_by_email(
        self, client, manager
    ):
        import_roster(roster_csv(), importer=manager.user)
        person = User.objects.get(email="new.person@harbour.example")

        response = set_password(client, invitation_link(person))
        assert response.status_code == 302
        signed_in = client.post(
            reverse("accounts:login"),
            {"username": "New.Person@harbour.example", "password": PASSWORD},
        )

        assert signed_in.status_code == 302
        assert client.get(reverse("home:dashboard")).status_code == 200

    def test_a_dry_run_and_a_re_import_send_no_invitation(self, manager):
        import_roster(roster_csv(), importer=manager.user, dry_run=True)
        assert not Notification.objects.exists()
        import_roster(roster_csv(), importer=manager.user)
        import_roster(roster_csv(), importer=manager.user)

        assert Notification.objects.count() == 1

    def test_the_api_roster_sync_invites_new_people(self, manager):
        from rest_framework.test import APIClient

        client = APIClient()
        client.force_authenticate(manager.user)
        row = dict(zip(COLUMNS, roster_csv().splitlines()[1].split(","), strict=True))
        response = client.post("/api/v1/roster/", {"rows": [row]}, format="json")

        assert response.status_code == 200, response.content
        person = User.objects.get(email="new.person@harbour.example")
        assert Invitation.objects.filter(user=person).count() == 1


class TestInvitationLinks:
    def test_the_link_works_only_once(self, client, manager):
        import_roster(roster_csv(), importer=manager.user)
        link = invitation_link(User.objects.get(email="new.person@harbour.example"))
        set_password(client, link)

        again = client.get(path_of(link))

        assert again.status_code == 410
        assert "This link has been used" in again.content.decode()

    def test_only_a_hash_of_the_token_is_stored(self, manager):
        import_roster(roster_csv(), importer=manager.user)
        person = User.objects.get(email="new.person@harbour.example")
        token = invitation_link(person).rstrip("/").rsplit("/", 1)[1]

        stored = Invitation.objects.get(user=person)
        assert token not in stored.token_hash
        assert len(stored.token_hash) == 64

    def test_an_expired_link_explains_itself_and_offers_a_new_one(
        self, client, manager
    ):
        import_roster(roster_csv(), importer=manager.user)
        person = User.objects.get(email="new.person@harbour.example")
        link = invitation_link(person)
        past = timezone.now() - timedelta(days=8)
        Invitation.objects.update(created_at=past, expires_at=past + timedelta(days=7))

        page = client.get(path_of(link))
        assert page.status_code == 410
        assert "This link has expired" in page.content.decode()
        assert set_password(client, link).status_code == 410
        client.post(path_of(link) + "new/")

        rows = Notification.objects.filter(recipient=person).order_by("pk")
        assert rows.count() == 2
        new_link = re.search(r"https?://\S+/invitation/\S+/", rows[1].body_text)[0]
        assert set_password(client, new_link).status_code == 302
        person.refresh_from_db()
        assert person.check_password(PASSWORD)

    def test_a_made_up_token_is_not_found(self, client):
        response = client.get("/accounts/invitation/not-a-real-token/")

        assert response.status_code == 404
        assert "This link does not work" in response.content.decode()

    def test_a_weak_password_is_refused_beside_the_field(self, client, manager):
        import_roster(roster_csv(), importer=manager.user)
        link = invitation_link(User.objects.get(email="new.person@harbour.example"))

        response = set_password(client, link, password="password")

        assert response.status_code == 400
        assert "govuk-error-message" in response.content.decode()


class TestPersonPage:
    def test_the_manager_sees_the_invitation_and_can_resend_it(self, client, manager):
        import_roster(roster_csv(), importer=manager.user)
        person = User.objects.get(email="new.person@harbour.example").profile
        client.force_login(manager.user)

        page = client.get(reverse("learning:person_training", args=[person.pk]))
        assert "Invitation sent" in page.content.decode()
        client.post(reverse("accounts:resend_invitation", args=[person.pk]))

        assert Invitation.objects.filter(user=person.user).count() == 2
        old, new = Invitation.objects.filter(user=person.user).order_by("pk")
        assert old.status(now=timezone.now()) == "replaced"
        assert new.status(now=timezone.now()) == "sent"

    def test_a_manager_elsewhere_cannot_resend(self, client, manager):
        import_roster(roster_csv(), importer=manager.user)
        person = User.objects.get(email="new.person@harbour.example").profile
        outsider = StaffProfileFactory(user=UserFactory(roles=[Role.PROVIDER_MANAGER]))
        client.force_login(outsider.user)

        response = client.post(reverse("accounts:resend_invitation", args=[person.pk]))

        assert response.status_code == 404
        assert Invitation.objects.filter(user=person.user).count() == 1


class TestPasswordResetForInvitedPeople:
    def test_an_invited_person_without_a_password_gets_a_reset_email(
        self, client, manager
    ):
        import_roster(roster_csv(), importer=manager.user)

        client.post(
            reverse("accounts:password_reset"),
            {"email": "NEW.person@harbour.example"},
        )

        resets = Notification.objects.filter(kind="password_reset")
        assert [n.recipient.email for n in resets] == ["new.person@harbour.example"]
