"""Training coverage per requirement, from learning's stored status rows.

Statuses come from ``TrainingStatus.objects.with_status`` and expiries from its
``expiring_between``: the same rules and rows as each learner's own page. One
query per scope, grouped by provider (or team) and requirement.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Q

from commissioning.reports.common import (
    SUPPRESSED,
    Column,
    Level,
    ReportScope,
    Table,
    group_cells,
    group_columns,
    percent,
)
from learning.models import Requirement, TrainingStatus
from learning.rules import Status

AVAILABLE = True
TABLE_KEYS = ["coverage"]
EXPIRY_WINDOWS = (30, 60, 90)


def requirement_key(requirement_id: int) -> str:
    """Name a requirement in snapshots and exports (stable across renames)."""
    return f"requirement-{requirement_id}"


def requirement_labels() -> dict[int, str]:
    """Return each requirement's display name (its module's title), in one query."""
    return dict(Requirement.objects.values_list("pk", "module__title"))


def coverage_figures(scope: ReportScope) -> list[dict[str, Any]]:
    """Return per group and requirement: applies, covered, overdue, due soon, expiring.

    "Applies" leaves out exempt people. "Covered" is a valid completion: in date or
    due soon with a completion on record.

    One join to the staff table and plain ``FILTER`` clauses: EXPLAIN ANALYZE showed
    the time going on a second join (``person__in``) and on ``pk IN (subquery)``
    for each expiry window; this form runs within 1.1x of hand-written SQL
    (``bench/coverage_sql.py``).
    """
    as_of = scope.as_of
    group = f"person__{scope.group_field}"
    rows = TrainingStatus.objects.filter(scope.people_through("person")).with_status(
        as_of
    )
    expiring = {
        f"expiring_{days}": Count(
            "pk",
            filter=TrainingStatus.expiring_q(
                as_of + timedelta(days=1), as_of + timedelta(days=days + 1)
            ),
        )
        for days in EXPIRY_WINDOWS
    }
    return list(
        rows.values(group, "requirement_id")
        .annotate(
            applies=Count("pk", filter=~Q(status=Status.EXEMPT)),
            covered=Count(
                "pk",
                filter=Q(
                    status__in=[Status.IN_DATE, Status.DUE_SOON],
                    last_completed_on__isnull=False,
                ),
            ),
            overdue=Count("pk", filter=Q(status=Status.OVERDUE)),
            due_soon=Count("pk", filter=Q(status=Status.DUE_SOON)),
            exceptions=Count(
                "pk",
                filter=Q(
                    status__in=[
                        Status.EXTENSION,
                        Status.EXEMPT,
                        Status.LONG_TERM_ABSENCE,
                    ]
                ),
            ),
            **expiring,
        )
        .order_by()
    )


def coverage_table(scope: ReportScope) -> Table:
    """Build the coverage table: one row per group and requirement."""
    labels = requirement_labels()
    group_field = f"person__{scope.group_field}"
    figures = {
        (row[group_field], row["requirement_id"]): row
        for row in coverage_figures(scope)
    }
    requirement_ids = sorted(
        {requirement for _, requirement in figures},
        key=lambda pk: (labels.get(pk, ""), pk),
    )
    rows = []
    for group in scope.groups():
        key = scope.key_of(group)
        for requirement_id in requirement_ids:
            found = figures.get((key, requirement_id))
            if found is None:
                continue  # the requirement applies to no one in this group
            rows.append(
                {
                    **group_cells(group, scope.level),
                    "requirement_id": requirement_id,
                    "dimension": requirement_key(requirement_id),
                    "requirement": labels.get(requirement_id, ""),
                    "applies": found["applies"],
                    "covered": found["covered"],
                    "coverage_pct": percent(found["covered"], found["applies"]),
                    "overdue": found["overdue"],
                    "due_soon": found["due_soon"],
                    **{
                        f"expiring_{days}": found[f"expiring_{days}"]
                        for days in EXPIRY_WINDOWS
                    },
                    "exceptions": found["exceptions"],
                }
            )
    return Table(
        key="coverage",
        title="Training coverage",
        columns=[
            *group_columns(scope.level),
            Column("requirement", "Requirement", numeric=False),
            Column("applies", "People it applies to"),
            Column("covered", "With a valid completion"),
            Column("coverage_pct", "Coverage %"),
            Column("overdue", "Overdue"),
            Column("due_soon", "Due soon"),
            *[
                Column(f"expiring_{days}", f"Expiring in {days} days")
                for days in EXPIRY_WINDOWS
            ],
            Column("exceptions", "Extensions, exemptions and absences"),
        ],
        rows=rows,
        note="Coverage: people with a valid completion, divided by the people the "
        "requirement applies to (exempt people left out). Expiring counts are "
        "cumulative: the 60-day figure includes the 30-day one.",
    )


SUMMED = ["applies", "covered", "overdue", "due_soon", "exceptions"] + [
    f"expiring_{days}" for days in EXPIRY_WINDOWS
]


def coverage_summary(coverage: Table, scope: ReportScope) -> Table:
    """Sum a coverage table's rows to one row per group (every requirement together).

    What the dashboard shows instead of a row per provider and requirement: the
    same status rows, added up, so each figure equals the sum of the detail rows
    (which the provider's own page and the downloads keep).
    """
    totals: dict[Any, dict[str, Any]] = {}
    for row in coverage.rows:
        key = row.get("team_id") if scope.level is Level.TEAM else row["provider_id"]
        total = totals.setdefault(key, {"requirements": 0, **dict.fromkeys(SUMMED, 0)})
        total["requirements"] += 1
        if row.get("suppressed"):
            total["suppressed"] = True  # a small group: its sums are hidden too
            continue
        for name in SUMMED:
            total[name] += row[name]
    rows = []
    for group in scope.groups():
        found = totals.get(scope.key_of(group))
        if found is None:
            continue
        row = {
            **group_cells(group, scope.level),
            **found,
            "coverage_pct": percent(found["covered"], found["applies"]),
        }
        if found.get("suppressed"):
            row.update(dict.fromkeys([*SUMMED, "coverage_pct"], SUPPRESSED))
        rows.append(row)
    wanted = {"applies", "covered", "coverage_pct", "overdue", "due_soon"}
    return Table(
        key=coverage.key,
        title=coverage.title,
        columns=[
            *group_columns(scope.level),
            Column("requirements", "Requirements"),
            *[
                c
                for c in coverage.columns
                if c.key in wanted or c.key.startswith("expiring_")
            ],
            Column("exceptions", "Extensions, exemptions and absences"),
        ],
        rows=rows,
        note="Every requirement together: each person counts once for each "
        "requirement that applies to them. The provider's page and the downloads "
        "give the figures requirement by requirement. " + coverage.note,
    )


def tables(scope: ReportScope) -> list[Table]:
    """Return this family's tables."""
    return [coverage_table(scope)]
