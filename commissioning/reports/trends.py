"""Trends: the monthly snapshots of a provider (or its teams), as chart series."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import F

from commissioning.models import MetricSnapshot
from commissioning.reports.common import Column, Table
from workforce.dates import add_months

# The figures drawn as charts: (metric, heading). Training coverage has one chart
# per requirement (its ``dimension``).
CHARTED = [
    ("coverage.coverage_pct", "Training coverage (%)"),
    ("supervision.pct_in_date", "Supervision in date (%)"),
    ("supervision.escalated_twice", "People escalated twice"),
    ("caseload.pct_over_threshold", "Caseloads over threshold (%)"),
    ("caseload.mean_caseload", "Mean open cases"),
    ("staffing.ratio", "Workers per manager"),
    (
        "checkins.pct_prompted_support",
        "Check-ins that prompted an offer of support (%, to the nearest 10)",
    ),
]


@dataclass
class Series:
    """One chart: a heading and a value (or None) for each month."""

    metric: str
    dimension: str
    title: str
    points: list[tuple[date, Decimal | None, bool]] = field(default_factory=list)

    @property
    def maximum(self) -> Decimal:
        values = [v for _, v, _ in self.points if v is not None]
        return max(values, default=Decimal(0)) or Decimal(1)

    def bars(self) -> list[dict[str, object]]:
        """Return each month's bar with its height as a share of the tallest."""
        top = self.maximum
        return [
            {
                "month": month,
                "value": value,
                "suppressed": suppressed,
                "height": float(value / top * 100) if value is not None else 0,
            }
            for month, value, suppressed in self.points
        ]


def month_starts(*, last: date, months: int = 12) -> list[date]:
    """Return the first days of the ``months`` months ending with ``last``'s month."""
    end = last.replace(day=1)
    return [add_months(end, -n) for n in range(months - 1, -1, -1)]


def last_complete_month(as_of: date) -> date:
    """Return the first day of the month before ``as_of``'s month."""
    return add_months(as_of.replace(day=1), -1)


def trend_series(
    *, provider_id: int, as_of: date, months: int = 12, labels: dict[str, str]
) -> list[Series]:
    """Return the charted series of one provider over the last complete months.

    ``labels`` maps a dimension (a requirement's slug) to its display name.
    """
    window = month_starts(last=last_complete_month(as_of), months=months)
    metrics = [metric for metric, _ in CHARTED]
    found: dict[tuple[str, str], dict[date, tuple[Decimal | None, bool]]] = defaultdict(
        dict
    )
    for metric, dimension, month, value, suppressed in (
        MetricSnapshot.objects.provider_level()
        .filter(provider_id=provider_id, metric__in=metrics)
        .between(window[0], window[-1])
        .values_list("metric", "dimension", "month", "value", "suppressed")
    ):
        found[(metric, dimension)][month] = (value, suppressed)
    titles = dict(CHARTED)
    series = []
    for (metric, dimension), by_month in sorted(
        found.items(), key=lambda item: (metrics.index(item[0][0]), item[0][1])
    ):
        title = titles[metric]
        if dimension:
            title = f"{title}: {labels.get(dimension, dimension)}"
        series.append(
            Series(
                metric=metric,
                dimension=dimension,
                title=title,
                points=[(m, *by_month.get(m, (None, False))) for m in window],
            )
        )
    return series


def snapshot_table(
    *, provider_ids: list[int], start: date, end: date, metric: str | None = None
) -> Table:
    """Return every stored snapshot of these providers between two months."""
    snapshots = MetricSnapshot.objects.for_providers(provider_ids)
    if metric:
        snapshots = snapshots.filter(metric=metric)
    rows = (
        snapshots.between(start, end)
        .order_by("provider__name", "team__name", "metric", "dimension", "month")
        .values(
            "month",
            "provider_id",
            "team_id",
            "metric",
            "dimension",
            "value",
            "suppressed",
            provider_name=F("provider__name"),
            team_name=F("team__name"),
        )
    )
    return Table(
        key="snapshots",
        title="Monthly snapshots",
        columns=[
            Column("month", "Month", numeric=False),
            Column("provider_name", "Provider", numeric=False),
            Column("team_name", "Team", numeric=False),
            Column("metric", "Figure", numeric=False),
            Column("dimension", "Requirement", numeric=False),
            Column("value", "Value"),
            Column("suppressed", "Suppressed (group under 5)", numeric=False),
        ],
        rows=rows.iterator(chunk_size=2000),
    )
