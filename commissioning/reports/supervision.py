"""Supervision compliance and check-in aggregates, from supervision's status rows.

Statuses come from ``SupervisionStatus.objects.with_status`` (the same SQL rule as
the supervisee's own page). Sessions are counted from their metadata only; check-in
scores are encrypted and never read here: the check-in figures use the stored
"support prompted" flag, and are suppressed for groups under 5 people.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Q

from commissioning.reports.common import (
    SUPPRESSION_THRESHOLD,
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
from commissioning.reports.sql import DaysSince, Median
from supervision.models import (
    SessionAttendance,
    SupervisionSession,
    SupervisionStatus,
)
from supervision.rules import Status

AVAILABLE = True
TABLE_KEYS = ["supervision", "checkins"]
# Sessions and check-ins are counted over a rolling quarter.
WINDOW_DAYS = 91
SUPPRESSED = "suppressed"


def compliance_figures(scope: ReportScope) -> dict[Any, dict[str, Any]]:
    """Return status counts and median days since the last session, per group."""
    group = f"person__{scope.group_field}"
    rows = (
        SupervisionStatus.objects.active(as_of=scope.as_of)
        .filter(person__in=scope.people())
        .with_status(as_of=scope.as_of)
        .values(group)
        .annotate(
            required=Count("pk", filter=~Q(status=Status.NOT_REQUIRED.value)),
            in_date=Count(
                "pk",
                filter=Q(status__in=[Status.IN_DATE.value, Status.DUE_SOON.value]),
            ),
            overdue=Count("pk", filter=Q(status=Status.OVERDUE.value)),
            escalated=Count("pk", filter=Q(status=Status.ESCALATED.value)),
            escalated_twice=Count("pk", filter=Q(status=Status.ESCALATED_TWICE.value)),
            median_days=Median(
                DaysSince("last_session_on", as_of=scope.as_of),
                filter=~Q(status=Status.NOT_REQUIRED.value),
            ),
        )
        .order_by()
    )
    return by_key(rows, group)


def _recent_attendance(scope: ReportScope):  # type: ignore[no-untyped-def]
    start = scope.as_of - timedelta(days=WINDOW_DAYS)
    return SessionAttendance.objects.filter(
        person__in=scope.people(),
        session__state=SupervisionSession.State.FINALISED,
        session__held_on__gt=start,
        session__held_on__lte=scope.as_of,
    )


def session_figures(scope: ReportScope) -> dict[Any, dict[str, Any]]:
    """Return sessions held, wellbeing discussed and check-in counts, per group."""
    group = f"person__{scope.group_field}"
    checked_in = Q(impact_score__isnull=False)
    rows = (
        _recent_attendance(scope)
        .values(group)
        .annotate(
            sessions=Count("session", distinct=True),
            wellbeing=Count(
                "session",
                distinct=True,
                filter=Q(session__wellbeing_discussed=True),
            ),
            check_ins=Count("pk", filter=checked_in),
            people_checked_in=Count("person", distinct=True, filter=checked_in),
            prompted=Count("pk", filter=checked_in & Q(support_prompt=True)),
        )
        .order_by()
    )
    return by_key(rows, group)


def supervision_table(scope: ReportScope, sessions: dict[Any, dict]) -> Table:
    """Build the compliance table: in date, median days, escalations, wellbeing."""
    figures = compliance_figures(scope)
    rows = []
    for group in scope.groups():
        key = scope.key_of(group)
        found, held = figures.get(key, {}), sessions.get(key, {})
        if is_empty_no_team(scope, group, found):
            continue
        median = found.get("median_days")
        rows.append(
            {
                **group_cells(group, scope.level),
                "people_required": found.get("required", 0),
                "pct_in_date": percent(found.get("in_date"), found.get("required")),
                "median_days_since_session": one_place(median),
                "overdue": found.get("overdue", 0),
                "escalated": found.get("escalated", 0),
                "escalated_twice": found.get("escalated_twice", 0),
                "sessions": held.get("sessions", 0),
                "pct_wellbeing_discussed": percent(
                    held.get("wellbeing"), held.get("sessions")
                ),
            }
        )
    return Table(
        key="supervision",
        title="Supervision compliance",
        columns=[
            *group_columns(scope.level),
            Column("people_required", "People who need supervision"),
            Column("pct_in_date", "% in date"),
            Column("median_days_since_session", "Median days since last session"),
            Column("overdue", "Overdue"),
            Column("escalated", "Escalated"),
            Column("escalated_twice", "Escalated twice"),
            Column("sessions", f"Sessions in the last {WINDOW_DAYS} days"),
            Column("pct_wellbeing_discussed", "% of sessions discussing wellbeing"),
        ],
        rows=rows,
        note="In date: due soon or not yet due under the supervision policy. "
        "Wellbeing: whether it was discussed, never what was said.",
    )


def checkins_table(scope: ReportScope, sessions: dict[Any, dict]) -> Table:
    """Build the check-in table; groups of under 5 people are suppressed."""
    rows = []
    for group in scope.groups():
        held = sessions.get(scope.key_of(group), {})
        if is_empty_no_team(scope, group, held):
            continue
        people = held.get("people_checked_in", 0)
        small = people < SUPPRESSION_THRESHOLD
        rows.append(
            {
                **group_cells(group, scope.level),
                "suppressed": small,
                "people_checked_in": SUPPRESSED if small else people,
                "check_ins": SUPPRESSED if small else held.get("check_ins", 0),
                "pct_prompted_support": SUPPRESSED
                if small
                else percent(held.get("prompted"), held.get("check_ins")),
            }
        )
    return Table(
        key="checkins",
        title="Wellbeing check-ins",
        columns=[
            *group_columns(scope.level),
            Column("people_checked_in", "People who checked in"),
            Column("check_ins", "Check-ins"),
            Column("pct_prompted_support", "% that prompted an offer of support"),
        ],
        rows=rows,
        note=f"Finalised sessions in the last {WINDOW_DAYS} days. Shown only for "
        f"groups of {SUPPRESSION_THRESHOLD} or more people; smaller groups are "
        "suppressed so no one can be identified. Scores themselves are never shown.",
    )


def tables(scope: ReportScope) -> list[Table]:
    """Return this family's tables (one query for sessions, shared by both)."""
    sessions = session_figures(scope)
    return [supervision_table(scope, sessions), checkins_table(scope, sessions)]
