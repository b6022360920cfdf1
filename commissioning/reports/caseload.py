"""Caseload indicators: mean, maximum and share over the contract threshold.

Each active frontline person counts with their latest caseload snapshot taken in the
last ``CASELOAD_WINDOW_DAYS`` days; people with none are counted as "no recent
figure". A person's threshold is the contract's ``caseload_threshold_per_fte`` times
their FTE (the strictest contract when several apply).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Avg, Count, Exists, F, Max, OuterRef, Q, Subquery

from commissioning.reports.common import (
    CASELOAD_WINDOW_DAYS,
    Column,
    ReportScope,
    Table,
    by_key,
    group_cells,
    group_columns,
    is_empty_no_team,
    one_place,
    percent,
)
from workforce.models import CaseloadSnapshot


def caseload_figures(scope: ReportScope) -> dict[Any, dict[str, Any]]:
    """Return caseload aggregates per group in one query, keyed by provider or team."""
    start = scope.as_of - timedelta(days=CASELOAD_WINDOW_DAYS)
    in_window = Q(taken_on__gt=start, taken_on__lte=scope.as_of)
    later = CaseloadSnapshot.objects.filter(
        in_window, person=OuterRef("person"), taken_on__gt=OuterRef("taken_on")
    )
    threshold = Subquery(
        scope.contracts.filter(provider=OuterRef("person__organisation_id"))
        .order_by("caseload_threshold_per_fte")
        .values("caseload_threshold_per_fte")[:1]
    )
    group = f"person__{scope.group_field}"
    rows = (
        CaseloadSnapshot.objects.filter(in_window)
        .filter(scope.people_through("person"), person__job_role__is_frontline=True)
        .exclude(Exists(later))
        .annotate(threshold=threshold)
        .values(group)
        .annotate(
            people=Count("person_id"),
            mean=Avg("open_cases"),
            maximum=Max("open_cases"),
            over=Count(
                "person_id",
                filter=Q(open_cases__gt=F("threshold") * F("person__fte")),
            ),
            with_threshold=Count("person_id", filter=Q(threshold__isnull=False)),
        )
        .order_by()
    )
    return by_key(rows, group)


def caseload_table(scope: ReportScope) -> Table:
    """Build the caseload table: one row per group, people with no figure shown."""
    figures = caseload_figures(scope)
    rows = []
    for group in scope.groups():
        found = figures.get(scope.key_of(group), {})
        if is_empty_no_team(scope, group, found):
            continue
        rows.append(
            {
                **group_cells(group, scope.level),
                "people_with_caseload": found.get("people", 0),
                "mean_caseload": one_place(found.get("mean")),
                "max_caseload": found.get("maximum"),
                "over_threshold": found.get("over", 0),
                "pct_over_threshold": percent(
                    found.get("over"), found.get("with_threshold")
                ),
            }
        )
    return Table(
        key="caseload",
        title="Caseloads",
        columns=[
            *group_columns(scope.level),
            Column("people_with_caseload", "Frontline staff with a recent caseload"),
            Column("mean_caseload", "Mean open cases"),
            Column("max_caseload", "Highest open cases"),
            Column("over_threshold", "Over threshold"),
            Column("pct_over_threshold", "% over threshold"),
        ],
        rows=rows,
        note=(
            f"Latest caseload of each frontline person in the last "
            f"{CASELOAD_WINDOW_DAYS} days. Threshold: the contract's open cases per "
            f"full-time worker, times the person's FTE."
        ),
    )


TABLE_KEYS = ["caseload"]


def tables(scope: ReportScope) -> list[Table]:
    """Return this family's tables."""
    return [caseload_table(scope)]
