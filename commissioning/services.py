"""State changes for commissioning: taking monthly snapshots."""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from commissioning.models import MetricSnapshot
from commissioning.reports import tables_for
from commissioning.reports.common import (
    Level,
    ReportScope,
    Table,
    provider_scope,
    team_scope,
)
from workforce.dates import add_months


def month_end(month: date) -> date:
    """Return the last day of ``month``'s month."""
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _value(cell: Any) -> Decimal | None:
    if cell is None or isinstance(cell, bool):
        return None
    try:
        return Decimal(str(cell)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _snapshots(scope: ReportScope, tables: list[Table], month: date) -> list:
    rows = []
    for table in tables:
        for row in table.rows:
            team_id = row.get("team_id") if scope.level is Level.TEAM else None
            if scope.level is Level.TEAM and team_id is None:
                continue  # people with no team count in the provider's own figures
            for column in table.columns:
                if not column.numeric:
                    continue
                rows.append(
                    MetricSnapshot(
                        provider_id=row["provider_id"],
                        team_id=team_id,
                        metric=f"{table.key}.{column.key}",
                        dimension=row.get("dimension", ""),
                        month=month,
                        value=_value(row.get(column.key)),
                        suppressed=bool(row.get("suppressed")),
                    )
                )
    return rows


@transaction.atomic
def take_monthly_snapshots(*, month: date) -> int:
    """Record every figure of every provider and team for ``month``, once.

    Figures are worked out as of the month's last day. A month already recorded is
    left exactly as it was (the unique constraints decide), so a second run, or a
    duplicate beat tick, adds nothing. Returns the number of snapshots added.
    """
    month = month.replace(day=1)
    as_of = month_end(month)
    before = MetricSnapshot.objects.filter(month=month).count()
    providers = provider_scope(None, as_of=as_of)
    pending = _snapshots(providers, tables_for(providers), month)
    for provider in providers.providers:
        teams = team_scope(None, provider, as_of=as_of)
        pending.extend(_snapshots(teams, tables_for(teams), month))
    MetricSnapshot.objects.bulk_create(pending, batch_size=1000, ignore_conflicts=True)
    return MetricSnapshot.objects.filter(month=month).count() - before


def backfill_snapshots(*, as_of: date, months: int = 12) -> int:
    """Record the last ``months`` complete months (as of each month's end) if missing.

    Training and supervision figures for past months are read from today's status
    rows as of that month's end, so they are a reconstruction, not a record.
    """
    last = add_months(as_of.replace(day=1), -1)
    return sum(
        take_monthly_snapshots(month=add_months(last, -n))
        for n in range(months - 1, -1, -1)
    )
