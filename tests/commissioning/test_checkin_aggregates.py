"""Check-in aggregates: closed months only, shares in bands, suppression under 5.

The fixture, built through the supervision services: provider Delta, team A with 5
people, team B with 3 and team E with 2, one finalised check-in each in February
2026, a closed month as of 15/3/26. B and E are under 5 and suppressed; together they
hold 5 people, so team A can be shown without its figures letting anyone work out
B's or E's by subtraction. No means are published at all: a mean moves with every
answer.

    team A  prompts support         team B  prompts support     team E
    a1        yes (impact 10)       b1..b3  yes, all three      e1, e2  no
    a2..a5    no
    share     20%                   Delta: 4 of 10, 40%

a1's impact of 10 is the only 10: it must never appear as a figure.
"""

import csv
import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from accounts.roles import Role
from accounts.tokens import issue_token
from commissioning.reports import provider_scope, table_for, team_scope
from commissioning.reports.common import SUPPRESSED
from supervision.models import CheckInScoreRecord
from supervision.services import (
    SessionDetails,
    create_session,
    finalise_session,
    record_check_in,
)
from tests.factories.workforce import (
    CommissioningContractFactory,
    OrganisationFactory,
    StaffProfileFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 3, 15)
FEBRUARY = date(2026, 2, 20)
TEAM_A = [(10, 5, 8, 3), (2, 6, 8, 5), (3, 7, 8, 5), (4, 8, 8, 6), (2, 9, 7, 6)]
TEAM_B = [(6, 1, 4, 7), (6, 2, 5, 7), (9, 3, 6, 7)]
TEAM_E = [(5, 5, 5, 5), (5, 5, 5, 5)]
FIGURES = ["people_checked_in", "pct_prompted_support"]
LABEL = "a conversation aid, not a clinical measure"


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    for module in ("commissioning.views", "commissioning.api"):
        monkeypatch.setattr(f"{module}.today", lambda: AS_OF)


def checked_in(supervisor, person, scores, held_on, *, as_of=None):
    """A session held and finalised on ``held_on`` (or ``as_of``) with a check-in."""
    as_of = as_of or held_on
    session = create_session(
        supervisor=supervisor,
        supervisee_ids=[person.pk],
        details=SessionDetails(held_on=held_on, duration_minutes=60, format="group"),
        as_of=as_of,
    )
    impact, switching_off, support, workload = scores
    record_check_in(
        session_id=session.pk,
        person_id=person.pk,
        impact=impact,
        switching_off=switching_off,
        support=support,
        workload=workload,
        support_offered=[],
        caseload=None,
        by=supervisor.user,
        as_of=as_of,
    )
    finalise_session(session_id=session.pk, by=supervisor.user, as_of=as_of)
    return session


@pytest.fixture
def delta():
    county = OrganisationFactory(name="County", is_commissioner=True, is_provider=False)
    provider = OrganisationFactory(name="Delta")
    CommissioningContractFactory(commissioner=county, provider=provider)
    commissioner = StaffProfileFactory(
        user=UserFactory(roles=[Role.COMMISSIONER]), organisation=county, team=None
    )
    manager = StaffProfileFactory(
        user=UserFactory(roles=[Role.PROVIDER_MANAGER]),
        organisation=provider,
        team=None,
    )
    supervisor = StaffProfileFactory(
        user=UserFactory(roles=[Role.SUPERVISOR]), organisation=provider, team=None
    )
    teams = {
        "A": TeamFactory(organisation=provider, name="A"),
        "B": TeamFactory(organisation=provider, name="B"),
        "E": TeamFactory(organisation=provider, name="E"),
    }
    people = {}
    for name, rows in (("A", TEAM_A), ("B", TEAM_B), ("E", TEAM_E)):
        for n, scores in enumerate(rows):
            person = StaffProfileFactory(
                organisation=provider, team=teams[name], supervisor=supervisor
            )
            people[f"{name.lower()}{n + 1}"] = person
            checked_in(supervisor, person, scores, FEBRUARY)
    return {
        "provider": provider,
        "commissioner": commissioner,
        "manager": manager,
        "supervisor": supervisor,
        "people": people,
    }


def row_of(table, name, field):
    return next(row for row in table.rows if row[field] == name)


class TestFigures:
    def test_the_provider_and_team_a_show_banded_shares_and_team_b_is_suppressed(
        self, delta
    ):
        user = delta["commissioner"].user
        whole = row_of(
            table_for(provider_scope(user, as_of=AS_OF), "checkins"),
            "Delta",
            "provider",
        )
        teams = table_for(team_scope(user, delta["provider"], as_of=AS_OF), "checkins")
        team_a, team_b = row_of(teams, "A", "team"), row_of(teams, "B", "team")

        assert whole["suppressed"] is False
        assert (whole["people_checked_in"], whole["pct_prompted_support"]) == (10, 40)
        assert team_a["suppressed"] is False
        assert (team_a["people_checked_in"], team_a["pct_prompted_support"]) == (5, 20)
        assert team_b["suppressed"] is True
        for key in FIGURES:
            assert team_b[key] == SUPPRESSED
        assert not any(column.key.startswith("mean") for column in teams.columns)

    def test_people_are_counted_once_however_often_they_check_in(self, delta):
        supervisor = StaffProfileFactory(organisation=delta["provider"], team=None)
        team = TeamFactory(organisation=delta["provider"], name="C")
        for _ in range(4):
            person = StaffProfileFactory(
                organisation=delta["provider"], team=team, supervisor=supervisor
            )
            checked_in(supervisor, person, (5, 5, 5, 5), date(2026, 1, 12))
            checked_in(supervisor, person, (5, 5, 5, 5), date(2026, 2, 3))
        user = delta["commissioner"].user
        teams = table_for(team_scope(user, delta["provider"], as_of=AS_OF), "checkins")

        assert row_of(teams, "C", "team")["suppressed"] is True  # 8 check-ins, 4 people

    def test_check_ins_before_the_three_closed_months_do_not_count(self, delta):
        supervisor = StaffProfileFactory(organisation=delta["provider"], team=None)
        team = TeamFactory(organisation=delta["provider"], name="Old")
        for _ in range(5):
            person = StaffProfileFactory(
                organisation=delta["provider"], team=team, supervisor=supervisor
            )
            checked_in(supervisor, person, (0, 0, 0, 0), date(2025, 11, 28))
        user = delta["commissioner"].user
        whole = table_for(provider_scope(user, as_of=AS_OF), "checkins")

        assert row_of(whole, "Delta", "provider")["people_checked_in"] == 10
        assert CheckInScoreRecord.objects.filter(month=date(2025, 11, 1)).count() == 5

    def test_the_current_month_is_not_published(self, delta):
        supervisor = delta["supervisor"]
        for person in delta["people"].values():
            checked_in(supervisor, person, (10, 0, 0, 0), date(2026, 3, 2), as_of=AS_OF)
        whole = table_for(
            provider_scope(delta["commissioner"].user, as_of=AS_OF), "checkins"
        )

        assert CheckInScoreRecord.objects.filter(month=date(2026, 3, 1)).count() == 10
        assert row_of(whole, "Delta", "provider")["pct_prompted_support"] == 40

    def test_a_closed_month_never_changes_later(self, delta):
        before = set(CheckInScoreRecord.objects.values_list("source_key", "impact"))
        # A session held in February, recorded and finalised in March.
        checked_in(
            delta["supervisor"],
            delta["people"]["a2"],
            (10, 0, 0, 0),
            date(2026, 2, 27),
            as_of=AS_OF,
        )
        whole = table_for(
            provider_scope(delta["commissioner"].user, as_of=AS_OF), "checkins"
        )

        assert set(CheckInScoreRecord.objects.values_list("source_key", "impact")) == (
            before
        )
        assert row_of(whole, "Delta", "provider")["pct_prompted_support"] == 40


def page_table(html: str) -> str:
    start = html.index('id="table-checkins"')
    return html[start : html.index("</table>", start)]


class TestResponses:
    def test_the_page_shows_the_shares_and_suppression_in_words(self, client, delta):
        client.force_login(delta["commissioner"].user)

        html = client.get(
            reverse("commissioning:provider", args=[delta["provider"].pk])
        ).content.decode()

        table = page_table(html)
        assert ">20<" in table.replace(" ", "") or "20" in table
        assert "Suppressed" in table and "(fewer than 5 people)" in table
        assert LABEL in html
        assert "Mean" not in table

    def test_the_csv_export_shows_the_shares_and_suppression_in_words(
        self, client, delta
    ):
        client.force_login(delta["commissioner"].user)
        url = reverse(
            "commissioning:export_provider_table",
            args=[delta["provider"].pk, "checkins", "csv"],
        )

        response = client.get(url)

        text = b"".join(response.streaming_content).decode("utf-8-sig")
        header, *rows = list(csv.reader(io.StringIO(text)))
        assert header == [
            "Team",
            "People who checked in",
            "% that prompted an offer of support (to the nearest 10)",
        ]
        blank = rows.index([])
        rows, note = rows[:blank], rows[blank + 1 :]
        assert "suppressed so no one can be identified" in note[0][0]
        assert LABEL in note[0][0]
        by_team = {row[0]: row[1:] for row in rows}
        assert by_team["A"] == ["5", "20"]
        assert by_team["B"] == [SUPPRESSED] * 2

    def test_the_xlsx_export_shows_the_shares_and_suppression_in_words(
        self, client, delta
    ):
        client.force_login(delta["commissioner"].user)
        url = reverse(
            "commissioning:export_provider_table",
            args=[delta["provider"].pk, "checkins", "xlsx"],
        )

        response = client.get(url)

        sheet = load_workbook(
            io.BytesIO(b"".join(response.streaming_content)), read_only=True
        ).active
        rows = [list(row) for row in sheet.values]
        by_team = {row[0]: row[1:] for row in rows[1:] if row and row[0]}
        assert by_team["A"][:2] == [5, 20]
        assert by_team["B"][:2] == [SUPPRESSED] * 2
        assert any(LABEL in str(cell) for row in rows for cell in row)

    def test_the_api_sends_null_and_a_suppressed_flag(self, delta):
        client = APIClient()
        _, key = issue_token(user=delta["commissioner"].user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

        body = client.get(f"/api/v1/checkins/?provider={delta['provider'].pk}").json()

        by_team = {row["team"]: row for row in body["results"]}
        assert by_team["A"]["suppressed"] is False
        assert by_team["A"]["pct_prompted_support"] == 20
        assert by_team["B"]["suppressed"] is True
        for key in FIGURES:
            assert by_team["B"][key] is None
        assert LABEL in body["note"]


class TestNoOnesOwnScore:
    @pytest.mark.parametrize("who", ["commissioner", "manager"])
    def test_a_unique_score_of_ten_never_shows(self, client, delta, who):
        client.force_login(delta[who].user)
        api = APIClient()
        api.force_authenticate(delta[who].user)
        values = []
        for query in ("", f"?provider={delta['provider'].pk}"):
            body = api.get(f"/api/v1/checkins/{query}").json()
            values += [row["pct_prompted_support"] for row in body["results"]]
        assert values
        assert not any(v in (10, 10.0, "10", "10.0") for v in values)
        html = client.get(
            reverse("commissioning:provider", args=[delta["provider"].pk])
        ).content.decode()
        cells = page_table(html).split("<td")[1:]
        assert not any(">10<" in cell or ">10.0<" in cell for cell in cells)


class TestComplementarySuppression:
    """Hiding one small team is not enough: the provider minus the rest shows it."""

    @staticmethod
    def rows(*people: int, hidden_below: int = 5) -> list[dict]:
        return [
            {
                "team": f"T{n}",
                "people_checked_in": count,
                "suppressed": count < hidden_below,
            }
            for n, count in enumerate(people)
        ]

    @pytest.mark.parametrize(
        ("people", "suppressed"),
        [
            ((5, 3), [True, True]),  # A would give B away by subtraction
            ((9, 6, 3), [False, True, True]),  # the next smallest team goes too
            ((5, 3, 2), [False, True, True]),  # B and E hide 5 between them
            ((7, 6), [False, False]),  # nothing small: nothing hidden
            ((6, 0), [False, True]),  # an empty team gives no one away
            ((2,), [True]),
        ],
    )
    def test_teams_are_hidden_until_the_hidden_ones_hold_five_people(
        self, people, suppressed
    ):
        from commissioning.reports.supervision import suppress_complements

        rows = self.rows(*people)

        suppress_complements(rows)

        assert [row["suppressed"] for row in rows] == suppressed
