"""The commissioner's headline: each provider's three figures against its contract.

A commissioner reads one row per provider and, in words, whether each figure meets
the contract's target, is near it or misses it; a small provider shows no figure
and no status. Trends of the same measures come as charts beside data tables, and
the whole page prints as a report.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import ModelLogEntry

from accounts.roles import Role
from commissioning.models import MetricSnapshot
from commissioning.reports.headline import Standing, standing
from tests.factories.commissioning import build_county, grow
from tests.factories.workforce import (
    CommissioningContractFactory,
    OrganisationFactory,
    StaffProfileFactory,
    UserFactory,
)
from workforce.contracts import save_contract
from workforce.models import CommissioningContract

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 3, 15)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr("commissioning.views.today", lambda: AS_OF)


@pytest.fixture
def county():
    return build_county()


def alpha_contract(county) -> CommissioningContract:
    return CommissioningContract.objects.get(provider=county.alpha)


def headline_rows(client, county) -> dict[int, dict]:
    client.force_login(county.commissioner.user)
    response = client.get(reverse("commissioning:dashboard"))
    assert response.status_code == 200
    return {row["provider_id"]: row for row in response.context["headline"].rows}


class TestStanding:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (Decimal("90.0"), Standing.MET),
            (Decimal("95.5"), Standing.MET),
            (Decimal("85.0"), Standing.NEAR),  # 5 points short: still near
            (Decimal("84.9"), Standing.NOT_MET),
            (None, Standing.NO_FIGURE),
            ("Suppressed (fewer than 5 people)", Standing.NO_FIGURE),
        ],
    )
    def test_a_floor(self, value, expected):
        assert standing(value, 90, 5) is expected

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (Decimal("5.0"), Standing.MET),
            (Decimal("0.0"), Standing.MET),
            (Decimal("10.0"), Standing.NEAR),
            (Decimal("10.1"), Standing.NOT_MET),
        ],
    )
    def test_a_ceiling(self, value, expected):
        assert standing(value, 5, 5, at_most=True) is expected


class TestTheDashboardHeadline:
    def test_each_figure_says_in_words_where_it_stands_against_the_target(
        self, client, county
    ):
        rows = headline_rows(client, county)

        alpha = rows[county.alpha.pk]
        assert alpha["coverage_pct"] == Decimal("40.0")
        assert alpha["coverage_target"] == 90
        assert alpha["coverage_status"] == "Not met"
        html = client.get(reverse("commissioning:dashboard")).content.decode()
        assert "Headline against contract targets" in html
        assert "Target: at least 90%" in html
        assert '<strong class="govuk-tag govuk-tag--red">Not met</strong>' in html

    def test_a_provider_under_five_people_shows_no_figure_and_no_status(
        self, client, county
    ):
        beta = headline_rows(client, county)[county.beta.pk]

        assert beta["suppressed"]
        for figure in ("coverage_pct", "in_date_pct", "overdue", "overdue_pct"):
            assert str(beta[figure]).startswith("Suppressed"), figure
        for status in ("coverage_status", "in_date_status", "overdue_status"):
            assert beta[status] == "No figure", status

    def test_the_contracts_targets_decide_the_status(self, client, county):
        contract = alpha_contract(county)
        contract.target_training_coverage_pct = 43
        save_contract(contract=contract, actor=county.manager.user)
        assert headline_rows(client, county)[county.alpha.pk]["coverage_status"] == (
            "Near"
        )

        contract.target_training_coverage_pct = 40
        save_contract(contract=contract, actor=county.manager.user)
        assert headline_rows(client, county)[county.alpha.pk]["coverage_status"] == (
            "Met"
        )

    def test_under_two_contracts_the_strictest_target_applies(self, client, county):
        contract = alpha_contract(county)
        CommissioningContractFactory(
            commissioner=contract.commissioner,
            provider=county.alpha,
            service="A second service",
            target_training_coverage_pct=30,
            target_overdue_max_pct=50,
        )

        alpha = headline_rows(client, county)[county.alpha.pk]

        assert alpha["coverage_target"] == 90
        assert alpha["overdue_target"] == 5

    def test_the_printable_provider_report_leads_with_the_headline_and_targets(
        self, client, county
    ):
        client.force_login(county.commissioner.user)

        response = client.get(
            reverse("commissioning:provider_report", args=[county.alpha.pk])
        )

        html = response.content.decode()
        assert [row["provider_id"] for row in response.context["headline"].rows] == [
            county.alpha.pk
        ]
        assert "Training coverage at least 90%" in html
        assert html.index("Headline against contract targets") < html.index(
            "Whole provider"
        )

    def test_the_headline_names_nobody(self, client, county):
        client.force_login(county.commissioner.user)
        html = client.get(reverse("commissioning:dashboard")).content.decode()
        start = html.index("Headline against contract targets")
        headline = html[start : html.index("<h2", start)]
        assert "Zedworker" not in headline
        assert "Worker1" not in headline


class TestTargetsInTheAdmin:
    @pytest.fixture
    def admin(self):
        return UserFactory(roles=[Role.PLATFORM_ADMIN], is_superuser=True)

    def form(self, contract, **changes):
        data = {
            "commissioner": contract.commissioner_id,
            "provider": contract.provider_id,
            "service": contract.service,
            "starts_on": contract.starts_on.isoformat(),
            "ends_on": "",
            "caseload_threshold_per_fte": str(contract.caseload_threshold_per_fte),
            "expected_worker_manager_ratio": str(
                contract.expected_worker_manager_ratio
            ),
            "target_training_coverage_pct": contract.target_training_coverage_pct,
            "target_supervision_in_date_pct": contract.target_supervision_in_date_pct,
            "target_overdue_max_pct": contract.target_overdue_max_pct,
            "target_near_points": contract.target_near_points,
        }
        data.update(changes)
        return data

    def test_an_admin_changes_a_target_and_it_is_audited(self, client, county, admin):
        contract = alpha_contract(county)
        client.force_login(admin)

        response = client.post(
            reverse("contracts:edit", args=[contract.pk]),
            self.form(contract, target_supervision_in_date_pct=80),
        )

        assert response.status_code == 302
        contract.refresh_from_db()
        assert contract.target_supervision_in_date_pct == 80
        entry = ModelLogEntry.objects.get(action="sustain.contract.save")
        assert entry.user_id == admin.pk
        assert entry.data["changed"] == {"target_supervision_in_date_pct": [90, 80]}

    @pytest.mark.parametrize("bad", ["101", "-1", "ninety"])
    def test_a_target_outside_0_to_100_is_refused_and_nothing_saved(
        self, client, county, admin, bad
    ):
        contract = alpha_contract(county)
        client.force_login(admin)

        response = client.post(
            reverse("contracts:edit", args=[contract.pk]),
            self.form(contract, target_training_coverage_pct=bad),
        )

        assert response.status_code == 200  # the form again, with its error
        assert "target_training_coverage_pct" in response.context["form"].errors
        contract.refresh_from_db()
        assert contract.target_training_coverage_pct == 90
        assert not ModelLogEntry.objects.filter(action="sustain.contract.save")

    def test_the_database_refuses_a_target_over_100(self, county):
        with pytest.raises(IntegrityError), transaction.atomic():
            CommissioningContract.objects.filter(provider=county.alpha).update(
                target_near_points=101
            )


def snapshot(provider, month, metric, value, *, suppressed=False):
    MetricSnapshot.objects.create(
        provider=provider,
        metric=metric,
        dimension="req" if metric.startswith("coverage.") else "",
        month=month,
        value=None if suppressed else Decimal(value),
        suppressed=suppressed,
    )


def snapshots_for(provider, month, *, covered, applies, required, in_date, overdue):
    for metric, value in [
        ("coverage.covered", covered),
        ("coverage.applies", applies),
        ("supervision.people_required", required),
        ("supervision.pct_in_date", in_date),
        ("supervision.overdue", overdue),
    ]:
        snapshot(provider, month, metric, value)


class TestTrends:
    def test_each_trend_has_a_chart_and_a_table_of_the_providers_together(
        self, client, county
    ):
        february = date(2026, 2, 1)
        snapshots_for(
            county.alpha,
            february,
            covered=4,
            applies=10,
            required=5,
            in_date=60,
            overdue=2,
        )
        snapshots_for(
            county.beta,
            february,
            covered=9,
            applies=10,
            required=5,
            in_date=100,
            overdue=0,
        )
        snapshot(county.beta, date(2026, 1, 1), "coverage.applies", 0, suppressed=True)
        client.force_login(county.commissioner.user)

        response = client.get(reverse("commissioning:dashboard"))

        trends = {t.key: t for t in response.context["trends"]}
        assert set(trends) == {"coverage", "in_date", "overdue"}
        feb = {key: t.points[-1] for key, t in trends.items()}
        assert feb["coverage"].month == february
        assert feb["coverage"].value == Decimal("65.0")  # 13 of 20
        assert feb["in_date"].value == Decimal("80.0")  # 8 of 10
        assert feb["overdue"].value == 2
        assert feb["coverage"].providers == 2
        # A suppressed month counts no provider and shows no figure.
        january = trends["coverage"].points[-2]
        assert (january.value, january.providers) == (None, 0)
        html = response.content.decode()
        assert html.count('<svg class="sustain-trend__chart"') == 3
        assert "Training coverage, by month" in html
        assert "<caption" in html

    def test_the_page_prints_as_a_report_on_a4(self, client, county):
        client.force_login(county.commissioner.user)

        html = client.get(reverse("commissioning:dashboard")).content.decode()

        assert '<style media="print">' in html
        assert "size: A4" in html
        assert "sustain-no-print" in html


class TestQueryCount:
    def count(self, client) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("commissioning:dashboard"))
        assert response.status_code == 200
        assert response.context["headline"].rows
        assert len(response.context["trends"]) == 3
        return len(queries)

    def test_headline_and_trends_keep_the_dashboard_flat_at_ten_times_the_data(
        self, client, county
    ):
        months = [date(2025, m, 1) for m in range(3, 13)] + [
            date(2026, 1, 1),
            date(2026, 2, 1),
        ]
        for month in months[-2:]:
            snapshots_for(
                county.alpha,
                month,
                covered=4,
                applies=10,
                required=5,
                in_date=60,
                overdue=2,
            )
        client.force_login(county.commissioner.user)
        client.get(reverse("home:dashboard"))
        before = self.count(client)

        grow(county, times=10)
        contract = alpha_contract(county)
        for n in range(10):
            provider = OrganisationFactory(name=f"Grown provider {n}")
            CommissioningContractFactory(
                commissioner=contract.commissioner, provider=provider
            )
            for _ in range(6):
                StaffProfileFactory(organisation=provider)
            for month in months:
                snapshots_for(
                    provider,
                    month,
                    covered=5,
                    applies=6,
                    required=6,
                    in_date=50,
                    overdue=3,
                )

        assert self.count(client) == before
        assert before <= 15
