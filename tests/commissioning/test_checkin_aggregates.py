"""Check-in score aggregates: exact means, suppression under 5, no one's own score.

The fixture, built through the supervision services: provider Delta, team A with 5
people, team B with 3 and team E with 2, one finalised check-in each this month (as of
15/3/26). B and E are under 5 and suppressed; together they hold 5 people, so team A can
be shown without its figures letting anyone work out B's or E's by subtraction.

    team A  impact  switching off  support  workload  prompts support
    a1        10          5           8         3       yes
    a2         2          6           8         5
    a3         3          7           8         5
    a4         4          8           8         6
    a5         2          9           7         6
    mean     4.2        7.0         7.8       5.0      20.0%
    team B
    b1         6          1           4         7       yes (switching off 3 or less)
    b2         6          2           5         7       yes (switching off 3 or less)
    b3         9          3           6         7       yes
    team E
    e1         5          5           5         5
    e2         5          5           5         5
    Delta    5.2        5.1         6.4       5.6      40.0%  (52, 51, 64, 56 over 10)

a1's impact of 10 is the only 10: it must never appear as a figure of its own.
"""

import csv
import io
from datetime import date
from decimal import Decimal

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
TEAM_A = [(10, 5, 8, 3), (2, 6, 8, 5), (3, 7, 8, 5), (4, 8, 8, 6), (2, 9, 7, 6)]
TEAM_B = [(6, 1, 4, 7), (6, 2, 5, 7), (9, 3, 6, 7)]
TEAM_E = [(5, 5, 5, 5), (5, 5, 5, 5)]
MEANS_A = {
    "mean_impact": Decimal("4.2"),
    "mean_switching_off": Decimal("7.0"),
    "mean_support": Decimal("7.8"),
    "mean_workload": Decimal("5.0"),
}
MEANS_PROVIDER = {
    "mean_impact": Decimal("5.2"),
    "mean_switching_off": Decimal("5.1"),
    "mean_support": Decimal("6.4"),
    "mean_workload": Decimal("5.6"),
}
MEAN_KEYS = list(MEANS_A)
LABEL = "a conversation aid, not a clinical measure"


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    for module in ("commissioning.views", "commissioning.api"):
        monkeypatch.setattr(f"{module}.today", lambda: AS_OF)


def checked_in(supervisor, person, scores, held_on):
    session = create_session(
        supervisor=supervisor,
        supervisee_ids=[person.pk],
        details=SessionDetails(held_on=held_on, duration_minutes=60, format="group"),
        as_of=AS_OF,
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
    )
    finalise_session(session_id=session.pk, by=supervisor.user, as_of=AS_OF)


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
    for name, rows in (("A", TEAM_A), ("B", TEAM_B), ("E", TEAM_E)):
        for scores in rows:
            person = StaffProfileFactory(
                organisation=provider, team=teams[name], supervisor=supervisor
            )
            checked_in(supervisor, person, scores, date(2026, 3, 2))
    return {"provider": provider, "commissioner": commissioner, "manager": manager}


def row_of(table, name, field):
    return next(row for row in table.rows if row[field] == name)


class TestFigures:
    def test_the_provider_and_team_a_show_exact_means_and_team_b_is_suppressed(
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
        assert (whole["people_checked_in"], whole["check_ins"]) == (10, 10)
        assert {k: whole[k] for k in MEAN_KEYS} == MEANS_PROVIDER
        assert whole["pct_prompted_support"] == Decimal("40.0")
        assert team_a["suppressed"] is False
        assert (team_a["people_checked_in"], team_a["check_ins"]) == (5, 5)
        assert {k: team_a[k] for k in MEAN_KEYS} == MEANS_A
        assert team_a["pct_prompted_support"] == Decimal("20.0")
        assert team_b["suppressed"] is True
        for key in [
            "people_checked_in",
            "check_ins",
            *MEAN_KEYS,
            "pct_prompted_support",
        ]:
            assert team_b[key] == SUPPRESSED

    def test_people_are_counted_once_however_often_they_check_in(self, delta):
        supervisor = StaffProfileFactory(organisation=delta["provider"], team=None)
        team = TeamFactory(organisation=delta["provider"], name="C")
        for _ in range(4):
            person = StaffProfileFactory(
                organisation=delta["provider"], team=team, supervisor=supervisor
            )
            checked_in(supervisor, person, (5, 5, 5, 5), date(2026, 2, 2))
            checked_in(supervisor, person, (5, 5, 5, 5), date(2026, 3, 3))
        user = delta["commissioner"].user
        teams = table_for(team_scope(user, delta["provider"], as_of=AS_OF), "checkins")

        assert row_of(teams, "C", "team")["suppressed"] is True  # 8 check-ins, 4 people

    def test_check_ins_before_the_three_month_window_do_not_count(self, delta):
        supervisor = StaffProfileFactory(organisation=delta["provider"], team=None)
        team = TeamFactory(organisation=delta["provider"], name="Old")
        for _ in range(5):
            person = StaffProfileFactory(
                organisation=delta["provider"], team=team, supervisor=supervisor
            )
            checked_in(supervisor, person, (0, 0, 0, 0), date(2025, 12, 31))
        user = delta["commissioner"].user
        whole = table_for(provider_scope(user, as_of=AS_OF), "checkins")

        assert row_of(whole, "Delta", "provider")["people_checked_in"] == 10
        assert CheckInScoreRecord.objects.filter(month=date(2025, 12, 1)).count() == 5


def page_table(html: str) -> str:
    start = html.index('id="table-checkins"')
    return html[start : html.index("</table>", start)]


class TestResponses:
    def test_the_page_shows_the_means_and_suppression_in_words(self, client, delta):
        client.force_login(delta["commissioner"].user)

        html = client.get(
            reverse("commissioning:provider", args=[delta["provider"].pk])
        ).content.decode()

        table = page_table(html)
        assert "4.2" in table and "7.8" in table
        assert "Suppressed" in table and "(fewer than 5 people)" in table
        assert LABEL in html

    def test_the_csv_export_shows_the_means_and_suppression_in_words(
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
        assert LABEL in header[3]
        # The table, a blank row, then the note saying what the figures are.
        blank = rows.index([])
        rows, note = rows[:blank], rows[blank + 1 :]
        assert "suppressed so no one can be identified" in note[0][0]
        by_team = {row[0]: row[1:] for row in rows}
        assert by_team["A"] == ["5", "5", "4.2", "7.0", "7.8", "5.0", "20.0"]
        assert by_team["B"] == [SUPPRESSED] * 7

    def test_the_xlsx_export_shows_the_means_and_suppression_in_words(
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
        assert by_team["A"] == [5, 5, 4.2, 7.0, 7.8, 5.0, 20.0]
        assert by_team["B"] == [SUPPRESSED] * 7
        assert any(LABEL in str(cell) for row in rows for cell in row)

    def test_the_api_sends_null_and_a_suppressed_flag(self, delta):
        client = APIClient()
        _, key = issue_token(user=delta["commissioner"].user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

        body = client.get(f"/api/v1/checkins/?provider={delta['provider'].pk}").json()

        by_team = {row["team"]: row for row in body["results"]}
        assert by_team["A"]["suppressed"] is False
        assert by_team["A"]["mean_impact"] == 4.2
        assert by_team["B"]["suppressed"] is True
        for key in [
            "people_checked_in",
            "check_ins",
            *MEAN_KEYS,
            "pct_prompted_support",
        ]:
            assert by_team["B"][key] is None
        assert LABEL in body["note"]


class TestNoOnesOwnScore:
    def figures(self, client, user, provider) -> list:
        """Every check-in figure a reporting user can get, from every response."""
        client.force_login(user)
        api = APIClient()
        api.force_authenticate(user)
        values = []
        for query in ("", f"?provider={provider.pk}"):
            for row in api.get(f"/api/v1/checkins/{query}").json()["results"]:
                values += [row[key] for key in [*MEAN_KEYS, "pct_prompted_support"]]
        for url in (
            reverse("commissioning:export_table", args=["checkins", "csv"]),
            reverse(
                "commissioning:export_provider_table",
                args=[provider.pk, "checkins", "csv"],
            ),
        ):
            text = b"".join(client.get(url).streaming_content).decode("utf-8-sig")
            for row in list(csv.reader(io.StringIO(text)))[1:]:
                values += row[-5:]
        return values

    @pytest.mark.parametrize("who", ["commissioner", "manager"])
    def test_a_unique_score_of_ten_shows_only_inside_a_mean(self, client, delta, who):
        values = self.figures(client, delta[who].user, delta["provider"])

        assert values  # the figures were read
        assert not any(v in (10, 10.0, "10", "10.0") for v in values)
        assert 4.2 in values and "4.2" in values  # team A's mean impact
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
