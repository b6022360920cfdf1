"""Monthly snapshots: every figure, once per month, never changed; task and command."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from commissioning.models import ImmutableSnapshotError, MetricSnapshot
from commissioning.services import backfill_snapshots, take_monthly_snapshots
from commissioning.tasks import take_monthly_snapshots_task
from tests.factories.commissioning import MetricSnapshotFactory, build_county

pytestmark = pytest.mark.django_db

MARCH = date(2026, 3, 1)


@pytest.fixture
def county():
    return build_county()


class TestTakeMonthlySnapshots:
    def test_records_every_figure_for_providers_and_teams(self, county):
        added = take_monthly_snapshots(month=MARCH)

        alpha = MetricSnapshot.objects.filter(provider=county.alpha, month=MARCH)
        assert added == MetricSnapshot.objects.count() > 0
        coverage = alpha.get(
            team=None,
            metric="coverage.coverage_pct",
            dimension=f"requirement-{county.requirement.pk}",
        )
        # As of 31 March w1 and w2 are still covered (w2's lapses on 1 April).
        assert coverage.value == Decimal("40.00")
        assert alpha.filter(team=county.team_a1).exists()
        suppressed = alpha.get(team=county.team_a1, metric="checkins.people_checked_in")
        assert suppressed.suppressed and suppressed.value is None

    def test_a_second_run_adds_nothing_and_changes_nothing(self, county):
        take_monthly_snapshots(month=MARCH)
        before = list(MetricSnapshot.objects.values_list("pk", "value", "taken_at"))

        added = take_monthly_snapshots(month=MARCH)

        assert added == 0
        assert list(MetricSnapshot.objects.values_list("pk", "value", "taken_at")) == (
            before
        )

    def test_a_snapshot_cannot_be_edited(self):
        snapshot = MetricSnapshotFactory()
        snapshot.value = Decimal(1)

        with pytest.raises(ImmutableSnapshotError):
            snapshot.save()
        with pytest.raises(ImmutableSnapshotError):
            MetricSnapshot.objects.filter(pk=snapshot.pk).update(value=1)


class TestBackfill:
    def test_fills_the_last_twelve_complete_months_once(self, county):
        backfill_snapshots(as_of=date(2026, 3, 15), months=12)

        months = set(MetricSnapshot.objects.values_list("month", flat=True))
        assert min(months) == date(2025, 3, 1)
        assert max(months) == date(2026, 2, 1)
        assert len(months) == 12
        assert backfill_snapshots(as_of=date(2026, 3, 15), months=12) == 0

    def test_the_command_reports_what_it_added(self, county, capsys, monkeypatch):
        monkeypatch.setattr(
            "commissioning.management.commands.backfill_snapshots.today",
            lambda: date(2026, 3, 15),
        )

        call_command("backfill_snapshots", months=2)

        assert "for the last 2 months" in capsys.readouterr().out
        assert MetricSnapshot.objects.filter(month=date(2026, 1, 1)).exists()


class TestTask:
    def test_takes_the_month_it_is_given(self, county):
        added = take_monthly_snapshots_task(month="2026-02-01")

        assert added > 0
        assert set(MetricSnapshot.objects.values_list("month", flat=True)) == {
            date(2026, 2, 1)
        }
