"""The report figures on the hand-computed county (tests/factories/commissioning)."""

from datetime import date
from decimal import Decimal

import pytest

from commissioning.reports import provider_scope, table_for, team_scope
from commissioning.reports.common import SUPPRESSED
from commissioning.reports.forecast import forecast_table
from tests.factories.commissioning import build_county
from tests.factories.workforce import CommissioningContractFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 3, 15)


@pytest.fixture
def county():
    return build_county()


def row_of(table, name, field="provider"):
    return next(row for row in table.rows if row[field] == name)


class TestScope:
    def test_a_commissioner_sees_only_providers_under_their_active_contracts(
        self, county
    ):
        scope = provider_scope(county.commissioner.user, as_of=AS_OF)

        assert [p.name for p in scope.providers] == ["Alpha", "Beta"]

    def test_a_provider_manager_sees_only_their_own_organisation(self, county):
        scope = provider_scope(county.manager.user, as_of=AS_OF)

        assert [p.name for p in scope.providers] == ["Alpha"]


class TestCaseload:
    def test_counts_each_frontline_persons_latest_recent_caseload(self, county):
        table = table_for(
            provider_scope(county.commissioner.user, as_of=AS_OF), "caseload"
        )
        alpha = row_of(table, "Alpha")

        # w1 8, w2 12, w3 10, w4 11, w6 6, team manager 4; w5's is too old.
        assert alpha["people_with_caseload"] == 6
        assert alpha["mean_caseload"] == Decimal("8.5")
        assert alpha["max_caseload"] == 12
        # over 10 x FTE: w2 (12), w4 (11), w6 (6 > 5); w3's 10 is not over.
        assert alpha["over_threshold"] == 3
        assert alpha["pct_over_threshold"] == Decimal("50.0")

    def test_the_strictest_threshold_counts_where_contracts_disagree(self, county):
        other = OrganisationFactory(
            name="Neighbouring council", is_commissioner=True, is_provider=False
        )
        CommissioningContractFactory(
            commissioner=other,
            provider=county.alpha,
            caseload_threshold_per_fte=Decimal("9.0"),
        )

        everyone = row_of(
            table_for(provider_scope(None, as_of=AS_OF), "caseload"), "Alpha"
        )
        own = row_of(
            table_for(
                provider_scope(county.commissioner.user, as_of=AS_OF), "caseload"
            ),
            "Alpha",
        )

        # Over 9 x FTE: w2 (12), w3 (10), w4 (11), w6 (6 > 4.5).
        assert everyone["over_threshold"] == 4
        assert everyone["pct_over_threshold"] == Decimal("66.7")
        # A commissioner's figures follow their own contract only (10 x FTE).
        assert own["over_threshold"] == 3

    def test_splits_the_figures_by_team_on_drill_down(self, county):
        table = table_for(
            team_scope(county.commissioner.user, county.alpha, as_of=AS_OF), "caseload"
        )

        a1, a2 = row_of(table, "A1", "team"), row_of(table, "A2", "team")
        # A2 has 2 people in post, so it shows nothing; A1 is hidden as well, or
        # Alpha's own figure minus A1's would give A2's away.
        for row in (a1, a2):
            assert row["suppressed"] is True
            assert row["people_with_caseload"] == SUPPRESSED
            assert row["pct_over_threshold"] == SUPPRESSED


class TestStaffing:
    def test_divides_frontline_worker_fte_by_manager_fte(self, county):
        table = table_for(
            provider_scope(county.commissioner.user, as_of=AS_OF), "staffing"
        )
        alpha = row_of(table, "Alpha")

        assert alpha["worker_fte"] == Decimal("5.5")
        assert alpha["manager_fte"] == Decimal("1.0")
        assert alpha["ratio"] == Decimal("5.5")
        assert alpha["expected_ratio"] == Decimal("4.0")
        assert alpha["ratio_status"] == "Above expected"


class TestTrainingCoverage:
    def test_counts_valid_completions_over_the_people_it_applies_to(self, county):
        table = table_for(
            provider_scope(county.commissioner.user, as_of=AS_OF), "coverage"
        )
        alpha = row_of(table, "Alpha")

        assert alpha["requirement"] == county.requirement.module.title
        assert alpha["applies"] == 5  # w4 is exempt
        assert alpha["covered"] == 2  # w1 in date, w2 due soon
        assert alpha["coverage_pct"] == Decimal("40.0")
        assert alpha["overdue"] == 2  # w3 never completed, w5 expired
        assert alpha["due_soon"] == 1
        assert (alpha["expiring_30"], alpha["expiring_60"], alpha["expiring_90"]) == (
            1,
            1,
            2,
        )
        assert alpha["exceptions"] == 1


class TestSupervisionCompliance:
    def test_reads_statuses_median_days_and_escalations(self, county):
        table = table_for(
            provider_scope(county.commissioner.user, as_of=AS_OF), "supervision"
        )
        alpha = row_of(table, "Alpha")

        assert alpha["people_required"] == 5  # w6 has no policy
        assert alpha["pct_in_date"] == Decimal("40.0")  # w1 in date, w2 due soon
        # days since last session: 14, 23, 33, 42, 73
        assert alpha["median_days_since_session"] == Decimal("33.0")
        assert (alpha["overdue"], alpha["escalated"], alpha["escalated_twice"]) == (
            1,
            1,
            1,
        )

    def test_counts_finalised_sessions_in_the_last_quarter_for_wellbeing(self, county):
        table = table_for(
            provider_scope(county.commissioner.user, as_of=AS_OF), "supervision"
        )
        alpha = row_of(table, "Alpha")

        assert alpha["sessions"] == 5  # the October one and the draft do not count
        assert alpha["pct_wellbeing_discussed"] == Decimal("40.0")


class TestCheckins:
    def test_publishes_only_closed_months(self, county):
        table = table_for(
            provider_scope(county.commissioner.user, as_of=AS_OF), "checkins"
        )
        alpha = row_of(table, "Alpha")

        # December to February hold w3's and w4's check-ins only: 2 people, so
        # nothing shows; March's three (w1, w2, w5) wait for the month to close.
        assert alpha["suppressed"] is True
        assert alpha["people_checked_in"] == SUPPRESSED
        assert not any(c.key.startswith("mean") for c in table.columns)

    def test_suppresses_teams_of_fewer_than_five(self, county):
        table = table_for(
            team_scope(county.commissioner.user, county.alpha, as_of=AS_OF), "checkins"
        )

        for team in ("A1", "A2"):
            row = row_of(table, team, "team")
            assert row["suppressed"] is True
            assert row["people_checked_in"] == SUPPRESSED
            assert row["pct_prompted_support"] == SUPPRESSED


class TestForecast:
    def test_counts_expiries_in_each_of_the_next_twelve_months(self, county):
        scope = provider_scope(county.commissioner.user, as_of=AS_OF)
        table = forecast_table(scope, provider_ids=[county.alpha.pk])
        alpha = row_of(table, "Alpha")

        assert alpha["m2026_04"] == 1  # w2
        assert alpha["m2026_06"] == 1  # w1
        assert alpha["m2026_03"] == 0
        assert alpha["total"] == 2
