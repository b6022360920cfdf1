"""Staffing ratio: frontline worker FTE per manager FTE, against the contract."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from commissioning.reports.common import (
    Column,
    Level,
    ReportScope,
    Table,
    by_key,
    contract_terms,
    group_cells,
    group_columns,
    one_place,
)

WORKER = Q(job_role__is_frontline=True, job_role__is_manager=False)
MANAGER = Q(job_role__is_manager=True)


def staffing_figures(scope: ReportScope) -> dict[Any, dict[str, Any]]:
    """Return worker and manager FTE per group in one query.

    The same query counts each group's people in post and keeps the counts on the
    scope, so suppressing small groups needs no query of its own.
    """
    rows = (
        scope.people()
        .values(scope.group_field)
        .annotate(
            worker_fte=Sum("fte", filter=WORKER),
            manager_fte=Sum("fte", filter=MANAGER),
            headcount=Count("pk"),
        )
        .order_by()
    )
    figures = by_key(rows, scope.group_field)
    counts = {key: row.pop("headcount") for key, row in figures.items()}
    scope.known.setdefault("headcounts", counts)
    return figures


def expected_ratios(scope: ReportScope) -> dict[int, Decimal]:
    """Return each provider's expected worker:manager ratio (the strictest contract)."""
    return {
        provider_id: terms.expected_worker_manager_ratio
        for provider_id, terms in contract_terms(scope).items()
        if terms.expected_worker_manager_ratio is not None
    }


def ratio_status(ratio: Decimal | None, expected: Decimal | None) -> str:
    """Say in words how a ratio compares with the contract's expectation."""
    if ratio is None:
        return "No manager recorded"
    if expected is None:
        return "No contract expectation"
    return "Above expected" if ratio > expected else "Within expected"


def staffing_table(scope: ReportScope) -> Table:
    """Build the staffing table: FTE, ratio and how it compares with the contract."""
    figures = staffing_figures(scope)
    expected = expected_ratios(scope)
    rows = []
    for group in scope.groups():
        found = figures.get(scope.key_of(group), {})
        workers = found.get("worker_fte") or Decimal(0)
        managers = found.get("manager_fte") or Decimal(0)
        ratio = one_place(workers / managers) if managers else None
        wanted = expected.get(group.provider_id)
        rows.append(
            {
                **group_cells(group, scope.level),
                "worker_fte": one_place(workers),
                "manager_fte": one_place(managers),
                "ratio": ratio,
                "expected_ratio": wanted,
                "ratio_status": ratio_status(ratio, wanted),
            }
        )
    if scope.level is Level.TEAM:
        rows = [r for r in rows if r["worker_fte"] or r["manager_fte"]]
    return Table(
        key="staffing",
        title="Worker to manager ratio",
        columns=[
            *group_columns(scope.level),
            Column("worker_fte", "Frontline worker FTE"),
            Column("manager_fte", "Manager FTE"),
            Column("ratio", "Workers per manager"),
            Column("expected_ratio", "Contract expects at most"),
            Column("ratio_status", "Status", numeric=False),
        ],
        rows=rows,
        note="Frontline staff who are not managers, per manager, in full-time "
        "equivalents.",
    )


TABLE_KEYS = ["staffing"]


def tables(scope: ReportScope) -> list[Table]:
    """Return this family's tables."""
    return [staffing_table(scope)]
