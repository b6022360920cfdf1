"""Caseload indicators: mean, maximum and share over the contract threshold.

Each active frontline person counts with their latest caseload snapshot taken in the
last ``CASELOAD_WINDOW_DAYS`` days; people with none are counted as "no recent
figure". A person's threshold is the contract's ``caseload_threshold_per_fte`` times
their FTE (the strictest contract when several apply).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Exists, F, Max, OuterRef, Q, Value

from commissioning.reports.common import (
    CASELOAD_WINDOW_DAYS,
    Column,
    Level,
    ReportScope,
    Table,
    by_key,
    contract_terms,
    group_cells,
    group_columns,
    is_empty_no_team,
    one_place,
    percent,
)
from workforce.models import CaseloadSnapshot


def caseload_figures(scope: ReportScope) -> dict[Any, dict[str, Any]]:
    """Return caseload aggregates per group in one query, keyed by provider or team.

    Each provider's threshold is looked up once (``contract_terms``) and the
    query compares with it directly: EXPLAIN ANALYZE showed a threshold subquery
    per snapshot row taking four fifths of the time.
    """
    start = scope.as_of - timedelta(days=CASELOAD_WINDOW_DAYS)
    in_window = Q(taken_on__gt=start, taken_on__lte=scope.as_of)
    later = CaseloadSnapshot.objects.filter(
        in_window, person=OuterRef("person"), taken_on__gt=OuterRef("taken_on")
    )
    thresholds: dict[Decimal, list[int]] = defaultdict(list)
    for provider_id, terms in contract_terms(scope).items():
        if terms.caseload_threshold_per_fte is not None:
            thresholds[terms.caseload_threshold_per_fte].append(provider_id)
    # Over its provider's threshold: one test per distinct threshold, not per row.
    over = Q()
    for threshold, providers in thresholds.items():
        over |= Q(person__organisation_id__in=providers) & Q(
            open_cases__gt=Value(threshold) * F("person__fte")
        )
    group = f"person__{scope.group_field}"
    rows = (
        CaseloadSnapshot.objects.filter(in_window)
        .filter(scope.people_through("person"), person__job_role__is_frontline=True)
        .exclude(Exists(later))
        .values(group)
        .annotate(
            people=Count("person_id"),
            mean=Avg("open_cases"),
            maximum=Max("open_cases"),
            **({"over": Count("person_id", filter=over)} if thresholds else {}),
        )
        .order_by()
    )
    figures = by_key(rows, group)
    with_threshold = {p for providers in thresholds.values() for p in providers}
    for key, row in figures.items():
        # Every group is one provider or one of its teams.
        provider_id = key if scope.level is Level.PROVIDER else scope.provider_ids[0]
        row.setdefault("over", 0)
        row["with_threshold"] = row["people"] if provider_id in with_threshold else 0
    return figures


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
