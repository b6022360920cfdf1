"""The headline: three figures per provider, each against its contract's target.

Built from the tables the dashboard already has (the summed training coverage and
the supervision table), so it adds one small query, for the targets, and says
nothing those tables do not. A suppressed figure stays suppressed, and its status
is "No figure": a status could otherwise leak which side of a target a small group
is on.

A provider under more than one active contract is measured against the strictest
target of each kind (the highest coverage and in-date targets, the lowest overdue
limit, the narrowest "near" band), as the other thresholds are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db import models
from django.db.models import Max, Min

from commissioning.reports.common import (
    Column,
    ReportScope,
    Table,
    group_cells,
    group_columns,
    percent,
    suppress_small_groups,
)
from workforce.models import TARGET_FIELDS, CommissioningContract


class Standing(StrEnum):
    MET = "Met"
    NEAR = "Near"
    NOT_MET = "Not met"
    NO_FIGURE = "No figure"


# The GOV.UK tag colour beside each standing's text (never the colour alone).
TAG_CLASS = {
    Standing.MET: "govuk-tag--green",
    Standing.NEAR: "govuk-tag--yellow",
    Standing.NOT_MET: "govuk-tag--red",
    Standing.NO_FIGURE: "govuk-tag--grey",
}


@dataclass(frozen=True)
class Targets:
    coverage_pct: int
    in_date_pct: int
    overdue_max_pct: int
    near_points: int


def _default(name: str) -> int:
    field = CommissioningContract._meta.get_field(name)
    assert isinstance(field, models.Field)
    return int(field.get_default())


# A provider with no active contract in view is measured against the defaults.
DEFAULT_TARGETS = Targets(
    *(_default(name) for name in TARGET_FIELDS),
)


def standing(value: Any, target: int, near: int, *, at_most: bool = False) -> Standing:
    """Say where ``value`` stands against ``target`` (a floor, or a ceiling).

    Within ``near`` percentage points on the wrong side is near; further is not met.
    A missing or suppressed value has no standing.
    """
    if not isinstance(value, int | Decimal):
        return Standing.NO_FIGURE
    short = (value - target) if at_most else (target - value)
    if short <= 0:
        return Standing.MET
    if short <= near:
        return Standing.NEAR
    return Standing.NOT_MET


def contract_targets(scope: ReportScope) -> dict[int, Targets]:
    """The strictest targets of each provider's active contracts (one query)."""
    rows = (
        scope.contracts.filter(provider_id__in=scope.provider_ids)
        .values("provider_id")
        .annotate(
            coverage=Max("target_training_coverage_pct"),
            in_date=Max("target_supervision_in_date_pct"),
            overdue=Min("target_overdue_max_pct"),
            near=Min("target_near_points"),
        )
        .order_by()
    )
    return {
        row["provider_id"]: Targets(
            row["coverage"], row["in_date"], row["overdue"], row["near"]
        )
        for row in rows
    }


def headline_table(
    scope: ReportScope, coverage: Table | None, supervision: Table | None
) -> Table:
    """One row per provider: coverage %, supervision in date %, number overdue.

    ``coverage`` is the dashboard's summed coverage table (a row per provider) and
    ``supervision`` the supervision table; both already suppressed.
    """
    by_provider: dict[int, dict[str, Any]] = {}
    for source in (coverage, supervision):
        for row in source.rows if source else ():
            by_provider.setdefault(row["provider_id"], {})[source.key] = row  # type: ignore[union-attr]
    targets = contract_targets(scope)
    rows = []
    for group in scope.groups():
        found = by_provider.get(group.provider_id, {})
        cov = found.get("coverage", {})
        sup = found.get("supervision", {})
        aim = targets.get(group.provider_id, DEFAULT_TARGETS)
        overdue = sup.get("overdue")
        hidden = bool(cov.get("suppressed") or sup.get("suppressed"))
        overdue_pct = (
            None
            if not isinstance(overdue, int)
            else percent(overdue, sup.get("people_required"))
        )
        row = {
            **group_cells(group, scope.level),
            "coverage_pct": cov.get("coverage_pct"),
            "coverage_target": aim.coverage_pct,
            "coverage_status": standing(
                cov.get("coverage_pct"), aim.coverage_pct, aim.near_points
            ).value,
            "in_date_pct": sup.get("pct_in_date"),
            "in_date_target": aim.in_date_pct,
            "in_date_status": standing(
                sup.get("pct_in_date"), aim.in_date_pct, aim.near_points
            ).value,
            "overdue": overdue,
            "overdue_pct": overdue_pct,
            "overdue_target": aim.overdue_max_pct,
            "overdue_status": standing(
                overdue_pct, aim.overdue_max_pct, aim.near_points, at_most=True
            ).value,
            "near_points": aim.near_points,
        }
        if hidden:
            row["suppressed"] = True
        rows.append(row)
    table = Table(
        key="headline",
        title="Headline against contract targets",
        columns=[
            *group_columns(scope.level),
            Column("coverage_pct", "Training coverage %"),
            Column("coverage_target", "Coverage target %", numeric=False),
            Column("coverage_status", "Coverage against target", numeric=False),
            Column("in_date_pct", "Supervision in date %"),
            Column("in_date_target", "In-date target %", numeric=False),
            Column("in_date_status", "In date against target", numeric=False),
            Column("overdue", "Overdue for supervision"),
            Column("overdue_pct", "Overdue %"),
            Column("overdue_target", "Overdue limit %", numeric=False),
            Column("overdue_status", "Overdue against limit", numeric=False),
        ],
        rows=rows,
        note="Targets are the contract's (the strictest, under more than one "
        "contract). Near: short of a target by no more than the contract's margin "
        "in percentage points. Overdue % is of the people who need supervision.",
    )
    (table,) = suppress_small_groups(scope, [table])  # marks the rows in place
    for row in rows:
        if row.get("suppressed"):
            for key in ("coverage_status", "in_date_status", "overdue_status"):
                row[key] = Standing.NO_FIGURE.value
    return table


# --- Trends of the headline measures --------------------------------------------

TREND_METRICS = (
    "coverage.covered",
    "coverage.applies",
    "supervision.people_required",
    "supervision.pct_in_date",
    "supervision.overdue",
)


@dataclass(frozen=True)
class TrendPoint:
    month: date
    value: Decimal | None
    providers: int  # how many providers had a figure that month


@dataclass(frozen=True)
class Trend:
    """One headline measure by month: a chart, and the table that is its content."""

    key: str
    title: str
    unit: str  # "%" or "people"
    points: tuple[TrendPoint, ...]

    @property
    def is_percent(self) -> bool:
        return self.unit == "%"

    def chart(self) -> dict[str, Any]:
        """Where to draw each point on a 600 by 200 grid (y grows downwards)."""
        known = [p.value for p in self.points if p.value is not None]
        top = Decimal(100) if self.is_percent else max([*known, Decimal(1)])
        width, height, left, right, top_pad, bottom = 600, 200, 44, 12, 12, 28
        step = (width - left - right) / max(len(self.points) - 1, 1)
        plot = height - top_pad - bottom

        def y(value: Decimal) -> float:
            return round(top_pad + plot * (1 - float(value / top)), 1)

        dots = [
            {
                "x": round(left + i * step, 1),
                "y": y(p.value),
                "month": p.month,
                "value": p.value,
            }
            for i, p in enumerate(self.points)
            if p.value is not None
        ]
        return {
            "width": width,
            "height": height,
            "left": left,
            "right": width - right,
            "baseline": height - bottom,
            "line": " ".join(f"{d['x']},{d['y']}" for d in dots),
            "dots": dots,
            "grid": [
                {"y": y(top * Decimal(share) / 4), "label": (top * Decimal(share) / 4)}
                for share in range(5)
            ],
            "months": [
                {"x": round(left + i * step, 1), "label": p.month}
                for i, p in enumerate(self.points)
            ],
        }


def headline_trends(provider_ids: list[int], *, months: list[date]) -> list[Trend]:
    """The headline measures of these providers together, month by month (one query).

    From the monthly snapshots: a provider counts in a month only if its figures
    that month were not suppressed. Coverage adds up the people covered and the
    people each requirement applies to; in date weighs each provider's share by the
    people who need supervision; overdue adds up the people overdue.
    """
    from commissioning.models import MetricSnapshot

    sums: dict[date, dict[str, Decimal]] = {m: {} for m in months}
    seen: dict[date, dict[str, set[int]]] = {m: {} for m in months}
    by_cell: dict[tuple[int, date], dict[str, Decimal]] = {}
    for provider_id, month, metric, value in (
        MetricSnapshot.objects.provider_level()
        .filter(
            provider_id__in=provider_ids,
            metric__in=TREND_METRICS,
            suppressed=False,
            value__isnull=False,
        )
        .between(months[0], months[-1])
        .values_list("provider_id", "month", "metric", "value")
        if months and provider_ids
        else ()
    ):
        if month not in sums or value is None:
            continue
        cell = by_cell.setdefault((provider_id, month), {})
        cell[metric] = cell.get(metric, Decimal(0)) + value
    for (provider_id, month), cell in by_cell.items():
        parts: dict[str, Decimal] = {}
        if "coverage.applies" in cell:
            parts["covered"] = cell.get("coverage.covered", Decimal(0))
            parts["applies"] = cell["coverage.applies"]
        required = cell.get("supervision.people_required")
        if required and "supervision.pct_in_date" in cell:
            parts["in_date"] = cell["supervision.pct_in_date"] * required / 100
            parts["required"] = required
        if "supervision.overdue" in cell:
            parts["overdue"] = cell["supervision.overdue"]
        for name, amount in parts.items():
            sums[month][name] = sums[month].get(name, Decimal(0)) + amount
            seen[month].setdefault(name, set()).add(provider_id)

    def series(key: str, title: str, unit: str, work: Any, needs: str) -> Trend:
        return Trend(
            key=key,
            title=title,
            unit=unit,
            points=tuple(
                TrendPoint(
                    month=m,
                    value=work(sums[m]) if needs in sums[m] else None,
                    providers=len(seen[m].get(needs, ())),
                )
                for m in months
            ),
        )

    return [
        series(
            "coverage",
            "Training coverage",
            "%",
            lambda s: percent(int(s["covered"]), int(s["applies"])),
            "applies",
        ),
        series(
            "in_date",
            "Supervision in date",
            "%",
            lambda s: (
                percent(round(s["in_date"]), int(s["required"]))
                if s["required"]
                else None
            ),
            "required",
        ),
        series(
            "overdue",
            "People overdue for supervision",
            "people",
            lambda s: int(s["overdue"]),
            "overdue",
        ),
    ]
