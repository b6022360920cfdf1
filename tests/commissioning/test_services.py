"""Monthly snapshots: every figure, once per month, never changed; task and command."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from commissioning.models import ImmutableSnapshotError, MetricSnapshot
from commissioning.reports.trends import METRIC_LABELS
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


class TestSnapshotsDownload:
    """The snapshots download reads without a key: figures and requirements in words."""

    def test_every_figure_a_snapshot_records_is_named_in_words(self, county):
        take_monthly_snapshots(month=MARCH)

        recorded = set(MetricSnapshot.objects.values_list("metric", flat=True))

        assert recorded, "the county recorded no snapshots"
        assert recorded - set(METRIC_LABELS) == set()

    def test_the_download_names_the_figure_requirement_month_and_suppression(
        self, client, county, monkeypatch
    ):
        take_monthly_snapshots(month=MARCH)
        monkeypatch.setattr("commissioning.views.today", lambda: date(2026, 4, 15))
        client.force_login(county.commissioner.user)

        response = client.get(
            reverse("commissioning:export_table", args=["snapshots", "csv"])
        )

        assert response.status_code == 200
        lines = list(csv.DictReader(io.StringIO(_text(response))))
        coverage = [
            line
            for line in lines
            if line["Figure"] == "Training: coverage (%)"
            and line["Provider"] == "Alpha"
            and not line["Team"]
        ]
        assert coverage, lines[:3]
        assert coverage[0]["Requirement"] == county.requirement.module.title
        assert coverage[0]["Month"] == "March 2026"
        assert float(coverage[0]["Value"]) == 40.0
        assert {line["Suppressed (group under 5)"] for line in lines} == {"Yes", "No"}
        text = _text(response)
        assert "coverage.coverage_pct" not in text
        assert "requirement-" not in text
        assert "True" not in text and "False" not in text


def _text(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")
