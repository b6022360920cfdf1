"""Trends: the monthly snapshots of a provider (or its teams), as chart series."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import F

from commissioning.models import MetricSnapshot
from commissioning.reports.common import Column, Table
from commissioning.reports.training import requirement_labels
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


# Every figure a monthly snapshot records, in words, for the snapshots download.
# A snapshot's ``metric`` is its table's key and column's key; a test fails when a
# report gains a figure that is not named here.
METRIC_LABELS = {
    "coverage.applies": "Training: people it applies to",
    "coverage.covered": "Training: people with a valid completion",
    "coverage.coverage_pct": "Training: coverage (%)",
    "coverage.overdue": "Training: people overdue",
    "coverage.due_soon": "Training: people due soon",
    "coverage.expiring_30": "Training: completions expiring in 30 days",
    "coverage.expiring_60": "Training: completions expiring in 60 days",
    "coverage.expiring_90": "Training: completions expiring in 90 days",
    "coverage.exceptions": "Training: extensions, exemptions and absences",
    "supervision.people_required": "Supervision: people who need it",
    "supervision.pct_in_date": "Supervision: in date (%)",
    "supervision.median_days_since_session": (
        "Supervision: median days since the last session"
    ),
    "supervision.overdue": "Supervision: people overdue",
    "supervision.escalated": "Supervision: people escalated",
    "supervision.escalated_twice": "Supervision: people escalated twice",
    "supervision.sessions": "Supervision: sessions in the last 91 days",
    "supervision.pct_wellbeing_discussed": (
        "Supervision: sessions that discussed wellbeing (%)"
    ),
    "checkins.people_checked_in": "Check-ins: people who checked in",
    "checkins.pct_prompted_support": (
        "Check-ins: prompted an offer of support (%, to the nearest 10)"
    ),
    "caseload.people_with_caseload": (
        "Caseloads: frontline staff with a recent caseload"
    ),
    "caseload.mean_caseload": "Caseloads: mean open cases",
    "caseload.max_caseload": "Caseloads: highest open cases",
    "caseload.over_threshold": "Caseloads: people over the threshold",
    "caseload.pct_over_threshold": "Caseloads: people over the threshold (%)",
    "staffing.worker_fte": "Staffing: frontline worker FTE",
    "staffing.manager_fte": "Staffing: manager FTE",
    "staffing.ratio": "Staffing: workers per manager",
    "staffing.expected_ratio": "Staffing: the contract's highest workers per manager",
}


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


def snapshot_download(*, provider_ids: list[int], start: date, end: date) -> Table:
    """Return the snapshots as a person reads them in a download.

    The API keeps the stored keys (callers filter on them); a download names each
    figure as the dashboard does, the requirement by its module's title, the month
    in words and suppression as Yes or No, so it reads without a key.
    """
    table = snapshot_table(provider_ids=provider_ids, start=start, end=end)
    requirements = {
        f"requirement-{pk}": title for pk, title in requirement_labels().items()
    }
    stored = table.rows

    def rows() -> Iterator[dict[str, object]]:
        for row in stored:
            yield {
                **row,
                "month": f"{row['month']:%B %Y}",
                "metric": METRIC_LABELS.get(row["metric"], row["metric"]),
                "dimension": requirements.get(row["dimension"], row["dimension"]),
                "suppressed": "Yes" if row["suppressed"] else "No",
            }

    table.rows = rows()
    return table
