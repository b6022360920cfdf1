"""The roster import: the whole file is checked, every bad row named, all or nothing."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from tests.factories import (
    JobRoleFactory,
    OrganisationFactory,
    StaffProfileFactory,
    UserFactory,
)
from workforce.models import StaffProfile, Team
from workforce.roster import COLUMNS, import_roster

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting():
    org = OrganisationFactory(name="Safe Harbour", slug="safe-harbour")
    other = OrganisationFactory(name="Oakfield", slug="oakfield")
    JobRoleFactory(name="Social worker", slug="social-worker")
    JobRoleFactory(name="Team manager", slug="team-manager")
    return {"org": org, "other": other}


def roster_rows(count: int = 50) -> list[dict[str, str]]:
    rows = [
        {
            "email": "lead@harbour.example",
            "first_name": "Lee",
            "last_name": "Lead",
            "organisation": "Safe Harbour",
            "team": "Outreach",
            "job_role": "Team manager",
            "started_in_role": "2022-04-01",
            "qualified_on": "2010-07-01",
            "fte": "1",
            "supervisor_email": "",
            "line_manager_email": "",
        }
    ]
    for n in range(1, count):
        rows.append(
            {
                "email": f"worker{n}@harbour.example",
                "first_name": f"Worker{n}",
                "last_name": "Smith",
                "organisation": "Safe Harbour",
                "team": "Outreach" if n % 2 else "Night Team",
                "job_role": "Social worker",
                "started_in_role": "2024-09-02",
                "qualified_on": "",
                "fte": "0.8",
                "supervisor_email": "lead@harbour.example",
                "line_manager_email": "lead@harbour.example",
            }
        )
    return rows


def as_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


class TestImportRoster:
    def test_three_bad_rows_among_fifty_save_nothing_and_name_all_three_lines(
        self, setting
    ):
        rows = roster_rows(50)
        rows[9]["organisation"] = "No Such Org"  # line 11
        rows[19]["job_role"] = "Wizard"  # line 21
        rows[29]["started_in_role"] = "2 Sept 2024"  # line 31

        result = import_roster(as_csv(rows))

        assert not result.ok
        assert [error.line for error in result.errors] == [11, 21, 31]
        assert "No Such Org" in str(result.errors[0])
        assert "Wizard" in str(result.errors[1])
        assert "not a date" in str(result.errors[2])
        assert StaffProfile.objects.count() == 0
        assert User.objects.count() == 0
        assert Team.objects.count() == 0

    def test_the_fixed_file_saves_fifty_and_a_second_import_creates_none(self, setting):
        first = import_roster(as_csv(roster_rows(50)))
        second = import_roster(as_csv(roster_rows(50)))

        assert (first.created, first.updated, first.unchanged) == (50, 0, 0)
        assert (second.created, second.updated, second.unchanged) == (0, 0, 50)
        assert StaffProfile.objects.count() == 50
        worker = StaffProfile.objects.get(user__email="worker3@harbour.example")
        assert worker.supervisor.user.email == "lead@harbour.example"
        assert worker.fte == Decimal("0.80")
        assert worker.started_in_role == date(2024, 9, 2)
        assert set(Team.objects.values_list("name", flat=True)) == {
            "Outreach",
            "Night Team",
        }

    def test_a_changed_row_updates_the_person_by_email_instead_of_duplicating(
        self, setting
    ):
        import_roster(as_csv(roster_rows(5)))
        rows = roster_rows(5)
        rows[2]["last_name"] = "Jones"
        rows[3]["fte"] = "0.5"

        result = import_roster(as_csv(rows))

        assert (result.created, result.updated, result.unchanged) == (0, 2, 3)
        assert User.objects.filter(email="worker2@harbour.example").get().last_name == (
            "Jones"
        )

    def test_a_dry_run_reports_counts_and_saves_nothing(self, setting):
        result = import_roster(as_csv(roster_rows(10)), dry_run=True)

        assert result.ok and result.created == 10
        assert StaffProfile.objects.count() == 0

    @pytest.mark.parametrize(
        ("column", "value", "message"),
        [
            ("email", "not-an-email", "is not valid"),
            ("first_name", "", "first_name is empty"),
            ("fte", "1.5", "at most 1"),
            ("fte", "lots", "must be a number"),
            ("qualified_on", "2024-13-01", "impossible date"),
            ("supervisor_email", "ghost@harbour.example", "not in this file"),
            ("supervisor_email", "worker1@harbour.example", "the person themself"),
        ],
    )
    def test_each_kind_of_bad_value_is_reported_on_its_line(
        self, setting, column, value, message
    ):
        rows = roster_rows(3)
        rows[1][column] = value

        result = import_roster(as_csv(rows))

        assert [error.line for error in result.errors] == [3]
        assert message in result.errors[0].message
        assert StaffProfile.objects.count() == 0

    def test_a_duplicate_email_in_the_file_is_reported(self, setting):
        rows = roster_rows(3)
        rows[2]["email"] = rows[1]["email"]

        result = import_roster(as_csv(rows))

        assert [error.line for error in result.errors] == [4]
        assert "already on line 3" in result.errors[0].message

    def test_a_file_missing_columns_is_refused_at_the_header(self, setting):
        result = import_roster(b"email,first_name\nx@example.org,X\n")

        assert [error.line for error in result.errors] == [1]
        assert "last_name" in result.errors[0].message

    def test_a_file_that_is_not_utf8_is_refused_with_advice(self, setting):
        result = import_roster("email,first_name\n\xe9\n".encode("latin-1"))

        assert "UTF-8" in result.errors[0].message

    def test_a_provider_manager_cannot_import_into_another_organisation(self, setting):
        manager = StaffProfileFactory(
            organisation=setting["other"],
            user=UserFactory(roles=[Role.PROVIDER_MANAGER]),
        ).user

        result = import_roster(as_csv(roster_rows(2)), importer=manager)

        assert {error.line for error in result.errors} == {2, 3}
        assert "your own organisation" in result.errors[0].message
        assert StaffProfile.objects.filter(organisation=setting["org"]).count() == 0


class TestImportStaffCommand:
    def test_the_command_prints_counts(self, setting, tmp_path, capsys):
        path = tmp_path / "roster.csv"
        path.write_bytes(as_csv(roster_rows(4)))

        call_command("import_staff", str(path))

        assert "Created 4, updated 0, 0 unchanged." in capsys.readouterr().out

    def test_the_command_fails_naming_each_bad_line(self, setting, tmp_path, capsys):
        rows = roster_rows(4)
        rows[1]["job_role"] = "Wizard"
        path = tmp_path / "roster.csv"
        path.write_bytes(as_csv(rows))

        with pytest.raises(CommandError, match="Nothing was saved"):
            call_command("import_staff", str(path))

        assert "Line 3: job_role 'Wizard' does not exist." in capsys.readouterr().err

    def test_dry_run_saves_nothing(self, setting, tmp_path, capsys):
        path = tmp_path / "roster.csv"
        path.write_bytes(as_csv(roster_rows(4)))

        call_command("import_staff", str(path), "--dry-run")

        assert "Would create 4" in capsys.readouterr().out
        assert StaffProfile.objects.count() == 0


class TestRosterUploadPage:
    def manager(self, org):
        return StaffProfileFactory(
            organisation=org, user=UserFactory(roles=[Role.PROVIDER_MANAGER])
        ).user

    def upload(self, client, content: bytes, **extra):
        upload = io.BytesIO(content)
        upload.name = "roster.csv"
        return client.post(
            reverse("workforce:import_roster"), {"file": upload, **extra}
        )

    def test_a_manager_uploads_a_good_file_and_is_told_the_counts(
        self, client, setting
    ):
        client.force_login(self.manager(setting["org"]))

        response = self.upload(client, as_csv(roster_rows(6)), create_teams="on")

        assert response.status_code == 302
        page = client.get(response.url)
        assert "Created 6, updated 0, 0 unchanged." in page.content.decode()

    def test_a_misspelt_team_is_refused_until_the_manager_confirms_it(
        self, client, setting
    ):
        client.force_login(self.manager(setting["org"]))
        Team.objects.create(organisation=setting["org"], name="Outreach")
        Team.objects.create(organisation=setting["org"], name="Night Team")
        rows = roster_rows(3)
        rows[2]["team"] = "Outreech"

        refused = self.upload(client, as_csv(rows))

        assert refused.status_code == 400
        assert "team &#x27;Outreech&#x27; does not exist" in refused.content.decode()
        assert not Team.objects.filter(name="Outreech").exists()

        checked = self.upload(client, as_csv(rows), create_teams="on", dry_run="on")

        assert "New teams: Outreech." in checked.content.decode()
        assert not Team.objects.filter(name="Outreech").exists()

    def test_a_team_in_other_capitals_is_the_existing_team(self, client, setting):
        client.force_login(self.manager(setting["org"]))
        Team.objects.create(organisation=setting["org"], name="Outreach")
        Team.objects.create(organisation=setting["org"], name="Night Team")
        rows = roster_rows(3)
        rows[1]["team"] = "outreach"

        response = self.upload(client, as_csv(rows))

        assert response.status_code == 302
        assert "outreach" not in Team.objects.values_list("name", flat=True)

    @pytest.mark.parametrize(
        ("column", "value", "message"),
        [
            ("started_in_role", "2026-02-31", "is an impossible date"),
            ("started_in_role", "31/02/2026", "is an impossible date"),
            ("started_in_role", "2099-01-01", "more than a year ahead"),
            ("qualified_on", "01/01/1900", "before 1950"),
            ("first_name", "A" * 5000, "longer than 150 characters"),
        ],
    )
    def test_an_out_of_bounds_value_is_refused_on_its_line(
        self, client, setting, column, value, message
    ):
        client.force_login(self.manager(setting["org"]))
        rows = roster_rows(3)
        rows[1][column] = value

        response = self.upload(client, as_csv(rows), create_teams="on")

        body = response.content.decode()
        assert response.status_code == 400
        assert "Line 3:" in body and message in body
        assert StaffProfile.objects.filter(organisation=setting["org"]).count() == 1

    def test_uk_dates_are_read_day_first(self, client, setting):
        client.force_login(self.manager(setting["org"]))
        rows = roster_rows(2)
        rows[1]["started_in_role"] = "03/04/2025"

        response = self.upload(client, as_csv(rows), create_teams="on")

        assert response.status_code == 302
        person = StaffProfile.objects.get(user__email="worker1@harbour.example")
        assert person.started_in_role == date(2025, 4, 3)

    def test_a_file_with_only_a_header_says_it_has_no_people(self, client, setting):
        client.force_login(self.manager(setting["org"]))

        response = self.upload(client, (",".join(COLUMNS) + "\n").encode())

        assert response.status_code == 400
        assert "no people in it" in response.content.decode()

    def test_a_bad_file_lists_every_bad_line_and_saves_nothing(self, client, setting):
        client.force_login(self.manager(setting["org"]))
        rows = roster_rows(6)
        rows[0]["started_in_role"] = "yesterday"
        rows[4]["organisation"] = "Nowhere"

        response = self.upload(client, as_csv(rows))

        assert response.status_code == 400
        body = response.content.decode()
        assert "Line 2:" in body and "Line 6:" in body
        assert StaffProfile.objects.filter(organisation=setting["org"]).count() == 1

    def test_a_file_that_is_not_csv_gets_an_error_beside_the_field(
        self, client, setting
    ):
        client.force_login(self.manager(setting["org"]))
        upload = io.BytesIO(b"hello")
        upload.name = "roster.pdf"

        response = client.post(reverse("workforce:import_roster"), {"file": upload})

        assert response.status_code == 400
        assert "Choose a .csv or .xlsx file." in response.content.decode()

    def test_a_practitioner_may_not_open_the_upload_page(self, client, setting):
        practitioner = StaffProfileFactory(
            organisation=setting["org"], user=UserFactory(roles=[Role.PRACTITIONER])
        ).user
        client.force_login(practitioner)

        assert client.get(reverse("workforce:import_roster")).status_code == 403
