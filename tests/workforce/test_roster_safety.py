"""The roster import never takes over an account it does not manage."""

import pytest

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
