"""Forecast: how many completions expire in each of the next 12 months.

Read from the training status rows' ``valid_until`` through learning's
``expiring_between``, grouped by provider, requirement and month in one query, so
providers can plan training places.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncMonth

from commissioning.reports.common import Column, ReportScope, Table
from commissioning.reports.training import requirement_key, requirement_labels
from learning.models import TrainingStatus
from workforce.dates import add_months

AVAILABLE = True
TABLE_KEYS = ["forecast"]
MONTHS = 12


def forecast_months(as_of: date) -> list[date]:
    """Return the first days of this month and the 11 after it."""
    first = as_of.replace(day=1)
    return [add_months(first, n) for n in range(MONTHS)]


def _month(value: Any) -> date:
    return value.date() if hasattr(value, "date") else value


def forecast_table(
    scope: ReportScope,
    *,
    provider_ids: list[int] | None = None,
    labels: dict[int, str] | None = None,
) -> Table:
    """Build expiries per provider, requirement and month (from tomorrow on).

    ``labels`` (requirement id to name) saves a look-up when the caller has them;
    a requirement missing from it is looked up after all.
    """
    months = forecast_months(scope.as_of)
    ids = provider_ids if provider_ids is not None else scope.provider_ids
    names = {p.pk: p.name for p in scope.providers}
    counts: dict[tuple[int, int], dict[date, int]] = {}
    start = scope.as_of + date.resolution
    rows = (
        TrainingStatus.objects.expiring_between(start, add_months(months[0], MONTHS))
        .filter(person__in=scope.people().filter(organisation_id__in=ids))
        .annotate(month=TruncMonth("valid_until"))
        .values("person__organisation_id", "requirement_id", "month")
        .annotate(expiring=Count("pk"))
        .order_by()
    )
    for row in rows:
        key = (row["person__organisation_id"], row["requirement_id"])
        counts.setdefault(key, {})[_month(row["month"])] = row["expiring"]
    if labels is None or any(requirement not in labels for _, requirement in counts):
        labels = requirement_labels()
    table_rows = []
    for provider_id, requirement_id in sorted(
        counts, key=lambda k: (names.get(k[0], ""), labels.get(k[1], ""))
    ):
        by_month = counts[(provider_id, requirement_id)]
        table_rows.append(
            {
                "provider_id": provider_id,
                "provider": names.get(provider_id, ""),
                "requirement_id": requirement_id,
                "dimension": requirement_key(requirement_id),
                "requirement": labels.get(requirement_id, ""),
                **{f"m{m:%Y_%m}": by_month.get(m, 0) for m in months},
                "total": sum(by_month.values()),
            }
        )
    return Table(
        key="forecast",
        title="Expiries in the next 12 months",
        columns=[
            Column("provider", "Provider", numeric=False),
            Column("requirement", "Requirement", numeric=False),
            *[Column(f"m{m:%Y_%m}", f"{m:%b %Y}") for m in months],
            Column("total", "Total"),
        ],
        rows=table_rows,
        note="Valid completions that stop counting in each month: the renewals to "
        "plan for.",
    )


def tables(scope: ReportScope) -> list[Table]:
    """Return this family's tables."""
    return [forecast_table(scope)]
