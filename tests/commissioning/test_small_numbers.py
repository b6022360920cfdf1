"""Small numbers: nothing a commissioner reads moves with one person's check-in, and
no group of fewer than 5 people shows a figure.

Every commissioner page, download and API endpoint is read before and after one new
check-in (in the current month, and late, for a month already closed); the two
readings must be the same.
"""

import csv
import io
import re
import zipfile
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.roles import Role
from commissioning.reports import table_keys, tables_for, team_scope
from commissioning.reports.common import SUPPRESSED
from supervision import services
from supervision.models import SessionAttendance
from tests.factories.commissioning import build_county
from tests.factories.supervision import SupervisionSessionFactory
from tests.factories.workforce import StaffProfileFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 3, 15)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    for module in ("commissioning.views", "commissioning.api", "learning.views"):
        monkeypatch.setattr(f"{module}.today", lambda: AS_OF)


def commissioner_urls(county) -> list[str]:
    """Every page, download and API read a commissioner has, for every provider."""
    urls = [reverse("commissioning:dashboard")]
    urls.append(reverse("commissioning:export_dashboard", args=["xlsx"]))
    for key in [*table_keys(), "snapshots"]:
        urls.append(reverse("commissioning:export_table", args=[key, "csv"]))
    for provider in (county.alpha, county.beta):
        pk = provider.pk
        urls += [
            reverse("commissioning:provider", args=[pk]),
            reverse("commissioning:provider_report", args=[pk]),
            reverse("commissioning:provider_people", args=[pk]),
            reverse("commissioning:export_provider", args=[pk, "xlsx"]),
        ]
        for key in [*table_keys(), "people", "forecast", "snapshots"]:
            urls.append(
                reverse("commissioning:export_provider_table", args=[pk, key, "csv"])
            )
    for segment in (
        "providers",
        "coverage",
        "supervision",
        "checkins",
        "caseload",
        "staffing",
        "forecast",
        "snapshots",
        "roster",
    ):
        urls.append(f"/api/v1/{segment}/")
        for provider in (county.alpha, county.beta):
            urls.append(f"/api/v1/{segment}/?provider={provider.pk}")
    return urls


def reading(response) -> object:
    """What a reader sees in a response, without per-request tokens."""
    content = (
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    kind = response.get("Content-Type", "")
    if "spreadsheetml" in kind:
        with zipfile.ZipFile(io.BytesIO(content)):
            pass
        book = load_workbook(io.BytesIO(content), read_only=True)
        return [list(row) for sheet in book.worksheets for row in sheet.values]
    text = content.decode("utf-8")
    if "csv" in kind:
        return list(csv.reader(io.StringIO(text)))
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    return re.sub(r'nonce="[^"]+"', "", text)


def read_everything(client, urls) -> dict[str, object]:
    found = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 403, 404), (url, response.status_code)
        found[url] = (response.status_code, reading(response))
    return found


class TestOneNewCheckIn:
    @pytest.mark.parametrize(
        "held_on",
        [date(2026, 3, 10), date(2026, 2, 26)],
        ids=["this month", "late, for a closed month"],
    )
    def test_nothing_a_commissioner_reads_changes(self, client, held_on):
        county = build_county()
        supervisor = StaffProfileFactory(
            organisation=county.alpha,
            team=county.team_a1,
            user=UserFactory(roles=[Role.SUPERVISOR]),
        )
        worker = county.workers[0]
        worker.supervisor = supervisor
        worker.save()
        session = SupervisionSessionFactory(
            supervisor=supervisor, held_on=held_on, attendees=[worker]
        )
        client.force_login(county.commissioner.user)
        urls = commissioner_urls(county)
        before = read_everything(client, urls)
        assert sum(1 for status, _ in before.values() if status == 200) > 40

        services.record_check_in(
            session_id=session.pk,
            person_id=worker.pk,
            impact=10,
            switching_off=0,
            support=0,
            workload=0,
            support_offered=["counselling"],
            caseload=None,
            by=supervisor.user,
            as_of=AS_OF,
        )
        assert SessionAttendance.objects.get(session=session).impact_score == 10

        after = read_everything(client, urls)
        changed = [url for url in urls if before[url] != after[url]]
        assert changed == []


class TestSmallGroups:
    def test_a_one_person_team_shows_no_figure_in_any_table(self, client):
        county = build_county()
        lonely = TeamFactory(organisation=county.alpha, name="Lonely")
        StaffProfileFactory(organisation=county.alpha, team=lonely)
        scope = team_scope(county.manager.user, county.alpha, as_of=AS_OF)

        rows = [
            (table, row)
            for table in tables_for(scope)
            for row in table.rows
            if row.get("team_id") == lonely.pk
        ]

        assert rows, "the team has a row in the drill-down"
        for table, row in rows:
            assert row["suppressed"] is True
            for column in table.columns:
                if column.numeric:
                    assert row[column.key] == SUPPRESSED, (table.key, column.key)

    def test_the_drill_down_page_and_api_say_suppressed_for_it(self, client):
        county = build_county()
        lonely = TeamFactory(organisation=county.alpha, name="Lonely")
        StaffProfileFactory(organisation=county.alpha, team=lonely)
        client.force_login(county.commissioner.user)

        body = client.get(f"/api/v1/supervision/?provider={county.alpha.pk}").json()
        row = next(r for r in body["results"] if r["team"] == "Lonely")
        assert row["suppressed"] is True
        assert row["people_required"] is None and row["pct_in_date"] is None
        html = client.get(
            reverse("commissioning:provider", args=[county.alpha.pk])
        ).content.decode()
        assert "Lonely" in html
