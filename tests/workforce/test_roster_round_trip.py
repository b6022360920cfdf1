"""Roster round trip: template, current roster out, edited .xlsx or CSV back in,
with a preview of what would change before anything is saved."""

import io

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from accounts.roles import Role
from tests.factories import (
    JobRoleFactory,
    OrganisationFactory,
    StaffProfileFactory,
    UserFactory,
)
from tests.workforce.test_roster import as_csv, roster_rows
from workforce.models import StaffProfile
from workforce.roster import COLUMNS, import_roster

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting():
    """The organisation and job roles roster_rows() names."""
    JobRoleFactory(name="Social worker", slug="social-worker")
    JobRoleFactory(name="Team manager", slug="team-manager")
    return {"org": OrganisationFactory(name="Safe Harbour", slug="safe-harbour")}


@pytest.fixture
def manager(setting):
    return StaffProfileFactory(
        organisation=setting["org"], user=UserFactory(roles=[Role.PROVIDER_MANAGER])
    ).user


def post(client, content: bytes, name: str, **extra):
    upload = io.BytesIO(content)
    upload.name = name
    return client.post(reverse("workforce:import_roster"), {"file": upload, **extra})


def workbook_rows(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def xlsx_of(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def body(response) -> bytes:
    return (
        b"".join(response.streaming_content) if response.streaming else response.content
    )


class TestDownloads:
    def test_the_template_has_the_import_columns_in_both_formats(self, client, manager):
        client.force_login(manager)
        csv_file = body(client.get(reverse("workforce:roster_template", args=["csv"])))
        assert csv_file.decode("utf-8-sig").strip() == ",".join(COLUMNS)
        xlsx = client.get(reverse("workforce:roster_template", args=["xlsx"]))
        assert workbook_rows(body(xlsx)) == [COLUMNS]

    def test_only_managers_and_admins_download_and_other_formats_are_not_found(
        self, client, manager, setting
    ):
        practitioner = StaffProfileFactory(
            organisation=setting["org"], user=UserFactory(roles=[Role.PRACTITIONER])
        )
        client.force_login(practitioner.user)
        url = reverse("workforce:roster_download", args=["csv"])
        assert client.get(url).status_code == 403
        client.force_login(manager)
        assert (
            client.get(reverse("workforce:roster_download", args=["pdf"])).status_code
            == 404
        )

    def test_formula_text_goes_out_quoted_and_comes_back_as_it_was(
        self, client, manager, setting
    ):
        rows = roster_rows(3)
        rows[1]["first_name"] = "=HYPERLINK(x)"
        assert import_roster(as_csv(rows), create_teams=True).ok
        client.force_login(manager)

        csv_file = body(client.get(reverse("workforce:roster_download", args=["csv"])))
        assert b"'=HYPERLINK(x)" in csv_file

        again = post(client, csv_file, "roster.csv", dry_run="on")
        page = again.content.decode()
        assert again.status_code == 200, page
        assert "People to be updated (0)" in page
        assert "People left unchanged (4)" in page
        assert StaffProfile.objects.filter(user__first_name="=HYPERLINK(x)").exists()


class TestXlsxUpload:
    def test_the_current_roster_edited_in_excel_is_previewed_then_saved(
        self, client, manager, setting
    ):
        assert import_roster(as_csv(roster_rows(5)), create_teams=True).ok
        client.force_login(manager)
        xlsx = body(client.get(reverse("workforce:roster_download", args=["xlsx"])))
        rows = workbook_rows(xlsx)
        assert rows[0] == COLUMNS
        assert len(rows) == 1 + 6  # five imported and the manager
        email = COLUMNS.index("email")
        first = COLUMNS.index("first_name")
        changed = next(r for r in rows if r[email] == "worker2@harbour.example")
        changed[first] = "Wren"
        rows.append(
            [
                "new.person@harbour.example",
                "New",
                "Person",
                "Safe Harbour",
                "Outreach",
                "Social worker",
                "30/04/2025",
                None,
                0.5,
                None,
                None,
            ]
        )

        preview = post(client, xlsx_of(rows), "roster.xlsx", dry_run="on")
        page = preview.content.decode()
        assert preview.status_code == 200, page
        assert "People to be created (1)" in page
        assert "new.person@harbour.example" in page
        assert "People to be updated (1)" in page
        assert "Wren Smith" in page
        assert "People left unchanged (5)" in page
        assert not StaffProfile.objects.filter(user__first_name="Wren").exists()

        saved = post(client, xlsx_of(rows), "roster.xlsx")
        assert saved.status_code == 302
        assert StaffProfile.objects.filter(user__first_name="Wren").exists()
        new = StaffProfile.objects.get(user__email="new.person@harbour.example")
        assert new.started_in_role.isoformat() == "2025-04-30"

    @pytest.mark.parametrize(
        ("content", "name", "message"),
        [
            (b"not a zip at all", "roster.xlsx", "not a readable Excel (.xlsx)"),
            (b"PK\x03\x04" + b"\0" * 100, "roster.xlsx", "not a readable Excel"),
            (b"<script>", "roster.html", "Choose a .csv or .xlsx file."),
            (b"x", "../../etc/passwd", "Choose a .csv or .xlsx file."),
        ],
    )
    def test_a_bad_file_is_refused_with_a_message_not_a_500(
        self, client, manager, content, name, message
    ):
        client.force_login(manager)
        response = post(client, content, name)
        assert response.status_code == 400
        assert message in response.content.decode()

    def test_an_xlsx_missing_columns_or_empty_says_so(self, client, manager):
        client.force_login(manager)
        missing = post(client, xlsx_of([["email", "first_name"]]), "r.xlsx")
        assert "missing column(s)" in missing.content.decode()
        empty = post(client, xlsx_of([COLUMNS]), "r.xlsx")
        assert empty.status_code == 400
        assert "no people" in empty.content.decode()
