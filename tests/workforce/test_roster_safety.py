"""The roster import never takes over an account it does not manage."""

import pytest
from wagtail.models import ModelLogEntry

from accounts.models import User
from accounts.roles import Role
from tests.factories import (
    JobRoleFactory,
    OrganisationFactory,
    StaffProfileFactory,
    UserFactory,
)
from workforce.models import StaffProfile
from workforce.roster import COLUMNS, import_roster

pytestmark = pytest.mark.django_db
HEADER = ",".join(COLUMNS)


@pytest.fixture
def manager():
    org = OrganisationFactory(name="Safe Harbour", slug="safe-harbour")
    JobRoleFactory(name="Social worker", slug="social-worker")
    return StaffProfileFactory(
        organisation=org, user=UserFactory(roles=[Role.PROVIDER_MANAGER])
    )


def one_row(email: str, supervisor: str = "") -> str:
    return (
        f"{HEADER}\n{email},Take,Over,safe-harbour,,social-worker,"
        f"2025-01-06,,1,{supervisor},\n"
    )


class TestAccountsTheRosterDoesNotManage:
    def test_a_row_naming_a_platform_admin_is_refused(self, manager):
        admin = UserFactory(
            username="admin", email="admin@sustain.example", is_superuser=True
        )

        result = import_roster(one_row("ADMIN@sustain.example"), importer=manager.user)

        assert not result.ok
        assert "cannot change" in str(result.errors[0])
        admin.refresh_from_db()
        assert (admin.first_name, admin.last_name) != ("Take", "Over")
        assert not StaffProfile.objects.filter(user=admin).exists()

    def test_an_account_with_no_staff_record_is_refused(self, manager):
        UserFactory(email="editor@sustain.example", roles=[Role.CONTENT_EDITOR])

        result = import_roster(one_row("editor@sustain.example"), importer=manager.user)

        assert [e.column for e in result.errors] == ["email"]

    def test_a_privileged_person_with_a_staff_record_is_refused(self, manager):
        StaffProfileFactory(
            organisation=manager.organisation,
            user=UserFactory(email="boss@harbour.example", roles=[Role.PLATFORM_ADMIN]),
        )

        result = import_roster(one_row("boss@harbour.example"), importer=manager.user)

        assert not result.ok


class TestSupervisorsFromElsewhere:
    def test_a_supervisor_from_another_organisation_is_refused(self, manager):
        outsider = StaffProfileFactory(
            user=UserFactory(email="outsider@elsewhere.example")
        )

        result = import_roster(
            one_row("new@harbour.example", supervisor="outsider@elsewhere.example"),
            importer=manager.user,
        )

        assert not result.ok
        assert result.errors[0].column == "supervisor_email"
        assert not User.objects.filter(email="new@harbour.example").exists()
        assert not StaffProfile.objects.filter(supervisor=outsider).exists()

    def test_a_supervisor_in_the_managers_organisation_is_accepted(self, manager):
        StaffProfileFactory(
            organisation=manager.organisation,
            user=UserFactory(email="sup@harbour.example"),
        )

        result = import_roster(
            one_row("new@harbour.example", supervisor="sup@harbour.example"),
            importer=manager.user,
        )

        assert result.ok, result.errors


class TestAdminImports:
    def test_a_platform_admin_cannot_name_a_supervisor_from_another_organisation(
        self, manager
    ):
        admin = UserFactory(roles=[Role.PLATFORM_ADMIN])
        StaffProfileFactory(user=UserFactory(email="outsider@elsewhere.example"))

        result = import_roster(
            one_row("new@harbour.example", supervisor="outsider@elsewhere.example"),
            importer=admin,
        )

        assert [e.column for e in result.errors] == ["supervisor_email"]
        assert not User.objects.filter(email="new@harbour.example").exists()


class TestUsernamesThatLookLikeEmails:
    def test_an_account_whose_username_is_the_address_is_not_taken_over(self, manager):
        other = StaffProfileFactory(
            organisation=manager.organisation,
            user=UserFactory(username="sam@harbour.example", email="sam@home.example"),
        )

        result = import_roster(one_row("sam@harbour.example"), importer=manager.user)

        assert [e.column for e in result.errors] == ["email"]
        assert "username of another account" in str(result.errors[0])
        other.user.refresh_from_db()
        assert other.user.first_name != "Take"


class TestTheImportIsAudited:
    def test_an_import_leaves_an_entry_on_the_organisation_without_names(self, manager):
        result = import_roster(one_row("new@harbour.example"), importer=manager.user)

        entry = ModelLogEntry.objects.get(action="sustain.roster.import")
        assert result.ok
        assert entry.user_id == manager.user.pk
        assert entry.object_id == str(manager.organisation.pk)
        assert entry.data["created"] == 1
        assert "new@harbour.example" not in str(entry.data)

    def test_a_check_or_a_refused_file_leaves_none(self, manager):
        import_roster(
            one_row("new@harbour.example"), importer=manager.user, dry_run=True
        )
        import_roster(one_row("not-an-email"), importer=manager.user)

        assert not ModelLogEntry.objects.filter(action="sustain.roster.import").exists()
