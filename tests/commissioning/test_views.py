"""Pages and exports: scope, no names or content for commissioners, flat queries."""

import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.roles import Role
from tests.factories.commissioning import build_county, grow
from tests.factories.workforce import StaffProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

PRIVATE = [
    b"PRIVATE-WELLBEING-NOTE",
    b"PRIVATE-FEELINGS",
    b"PRIVATE-REFLECTION",
    b"Worker1",
    b"Zedworker",
]


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    """The views read the clock once; pin it to the fixture's date."""
    for module in ("commissioning.views", "commissioning.api"):
        monkeypatch.setattr(f"{module}.today", lambda: date(2026, 3, 15))


@pytest.fixture
def county():
    return build_county()


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def commissioner_urls(county):
    alpha = county.alpha.pk
    return [
        reverse("commissioning:dashboard"),
        reverse("commissioning:provider", args=[alpha]),
        reverse("commissioning:provider_report", args=[alpha]),
        reverse("commissioning:export_dashboard", args=["xlsx"]),
        reverse("commissioning:export_table", args=["coverage", "csv"]),
        reverse("commissioning:export_table", args=["supervision", "csv"]),
        reverse("commissioning:export_table", args=["checkins", "csv"]),
        reverse("commissioning:export_provider", args=[alpha, "xlsx"]),
        reverse("commissioning:export_provider_table", args=[alpha, "forecast", "csv"]),
    ]


class TestDashboard:
    def test_a_commissioner_sees_their_providers_with_coverage(self, client, county):
        client.force_login(county.commissioner.user)

        response = client.get(reverse("commissioning:dashboard"))

        html = response.content.decode()
        assert response.status_code == 200
        assert "Alpha" in html and "Beta" in html
        assert "Gamma" not in html
        assert "40.0%" in html  # Alpha's coverage
        assert "<caption" in html and 'scope="col"' in html

    def test_coverage_is_one_row_per_provider_equal_to_the_status_rows_summed(
        self, client, county
    ):
        from commissioning.reports import provider_scope
        from commissioning.reports.common import SUPPRESSED
        from commissioning.reports.training import coverage_figures

        client.force_login(county.commissioner.user)

        response = client.get(reverse("commissioning:dashboard"))

        coverage = next(t for t in response.context["tables"] if t.key == "coverage")
        shown = {row["provider_id"]: row for row in coverage.rows}
        assert set(shown) == {county.alpha.pk, county.beta.pk}
        scope = provider_scope(county.commissioner.user, as_of=date(2026, 3, 15))
        # Beta has fewer than 5 people: its sums are suppressed like its detail.
        assert shown[county.beta.pk]["applies"] == SUPPRESSED
        assert shown[county.beta.pk]["coverage_pct"] == SUPPRESSED
        for provider_id, row in shown.items():
            if provider_id == county.beta.pk:
                continue
            detail = [
                r
                for r in coverage_figures(scope)
                if r["person__organisation_id"] == provider_id
            ]
            for figure in ("applies", "covered", "overdue", "due_soon", "exceptions"):
                assert row[figure] == sum(r[figure] for r in detail), figure
            assert row["requirements"] == len(detail)

    def test_providers_come_a_page_at_a_time_in_every_table(
        self, client, county, monkeypatch
    ):
        monkeypatch.setattr("commissioning.views.PROVIDERS_PER_PAGE", 1)
        client.force_login(county.commissioner.user)

        first = client.get(reverse("commissioning:dashboard")).content.decode()
        second = client.get(reverse("commissioning:dashboard") + "?page=2")

        assert "Showing providers 1 to 1 of 2" in first
        assert 'href="?page=2"' in first
        html = second.content.decode()
        assert "Showing providers 2 to 2 of 2" in html
        for table in second.context["tables"]:
            assert {row["provider_id"] for row in table.rows} <= {county.beta.pk}
        assert county.alpha.name not in html

    def test_a_practitioner_is_refused(self, client, county):
        client.force_login(county.workers[0].user)

        response = client.get(reverse("commissioning:dashboard"))

        assert response.status_code == 403

    def test_suppression_is_shown_in_words(self, client, county):
        client.force_login(county.commissioner.user)

        response = client.get(reverse("commissioning:provider", args=[county.alpha.pk]))

        assert "Suppressed" in response.content.decode()


class TestScope:
    @pytest.mark.parametrize(
        "name",
        ["provider", "provider_report", "provider_people"],
    )
    def test_a_provider_outside_the_contracts_is_not_found(self, client, county, name):
        client.force_login(county.commissioner.user)

        response = client.get(reverse(f"commissioning:{name}", args=[county.gamma.pk]))

        assert response.status_code == 404

    def test_exports_of_a_swapped_provider_id_are_not_found(self, client, county):
        client.force_login(county.commissioner.user)

        for url in [
            reverse("commissioning:export_provider", args=[county.gamma.pk, "xlsx"]),
            reverse(
                "commissioning:export_provider_table",
                args=[county.gamma.pk, "caseload", "csv"],
            ),
        ]:
            assert client.get(url).status_code == 404

    def test_no_commissioner_response_holds_a_name_or_supervision_content(
        self, client, county
    ):
        client.force_login(county.commissioner.user)

        for url in commissioner_urls(county):
            response = client.get(url)
            assert response.status_code == 200, url
            content = body(response)
            if url.endswith(".xlsx"):
                workbook = load_workbook(io.BytesIO(content), read_only=True)
                content = repr([list(s.values) for s in workbook.worksheets]).encode()
            for secret in PRIVATE:
                assert secret not in content, (url, secret)

    def test_a_commissioner_cannot_drill_down_to_people(self, client, county):
        client.force_login(county.commissioner.user)

        url = reverse("commissioning:provider_people", args=[county.alpha.pk])
        assert client.get(url).status_code == 404
        url = reverse(
            "commissioning:export_provider_table",
            args=[county.alpha.pk, "people", "csv"],
        )
        assert client.get(url).status_code == 404


class TestPeopleDrillDown:
    def test_a_provider_manager_sees_named_statuses_but_no_content(
        self, client, county
    ):
        client.force_login(county.manager.user)

        response = client.get(
            reverse("commissioning:provider_people", args=[county.alpha.pk])
        )

        html = response.content.decode()
        assert response.status_code == 200
        assert "Worker4 Zedworker" in html
        assert "Escalated twice" in html
        for secret in PRIVATE[:3]:
            assert secret.decode() not in html


class TestExports:
    def test_csv_streams_the_table_with_its_headings(self, client, county):
        client.force_login(county.commissioner.user)

        response = client.get(
            reverse("commissioning:export_table", args=["caseload", "csv"])
        )

        lines = body(response).decode("utf-8-sig").splitlines()
        assert response.streaming
        assert lines[0].startswith("Provider,Frontline staff with a recent caseload")
        assert lines[1] == "Alpha,6,8.5,12,3,50.0"

    def test_xlsx_has_one_sheet_per_table(self, client, county):
        client.force_login(county.commissioner.user)

        response = client.get(
            reverse("commissioning:export_provider", args=[county.alpha.pk, "xlsx"])
        )

        workbook = load_workbook(io.BytesIO(body(response)), read_only=True)
        assert response.streaming
        assert "Training coverage" in workbook.sheetnames
        assert "Caseloads" in workbook.sheetnames

    def test_an_unknown_format_or_table_is_not_found(self, client, county):
        client.force_login(county.commissioner.user)

        assert client.get("/commissioning/export/caseload.pdf").status_code == 404
        assert client.get("/commissioning/export/nonsense.csv").status_code == 404


class TestQueryCounts:
    def count(self, client, url) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            body(response)
        assert response.status_code == 200, url
        return len(queries)

    def test_pages_and_exports_keep_their_query_count_when_data_grows_tenfold(
        self, client, county
    ):
        manager_url = reverse("commissioning:provider_people", args=[county.alpha.pk])

        def sign_in(user) -> None:
            client.force_login(user)
            client.get(reverse("home:dashboard"))  # the session's first touch

        sign_in(county.commissioner.user)
        before = {url: self.count(client, url) for url in commissioner_urls(county)}
        sign_in(county.manager.user)
        before[manager_url] = self.count(client, manager_url)

        grow(county, times=10)

        sign_in(county.commissioner.user)
        after = {url: self.count(client, url) for url in commissioner_urls(county)}
        sign_in(county.manager.user)
        after[manager_url] = self.count(client, manager_url)
        assert after == before
        assert before[reverse("commissioning:dashboard")] <= 15
        assert before[reverse("commissioning:provider", args=[county.alpha.pk])] <= 15


class TestApiTokenPage:
    def test_a_commissioner_sees_the_token_page(self, client, county):
        client.force_login(county.commissioner.user)

        page = client.get(reverse("commissioning:api_token"))

        assert page.status_code == 200
        assert "You have no tokens" in page.content.decode()

    def test_a_practitioner_cannot_have_one(self, client):
        person = StaffProfileFactory(user=UserFactory(roles=[Role.PRACTITIONER]))
        client.force_login(person.user)

        assert client.post(reverse("commissioning:create_token")).status_code == 403
