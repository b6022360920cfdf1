"""Supervision compliance and check-in aggregates, from supervision's status rows.

Statuses come from ``SupervisionStatus.objects.with_status`` (the same SQL rule as
the supervisee's own page). Sessions are counted from their metadata only. Check-in
figures come from the pseudonymised ``CheckInScoreRecord`` table (never the encrypted
check-ins): distinct people and the share of check-ins that prompted an offer of
support, to the nearest 10%, per provider or team, over the last few *closed*
calendar months. No means: a mean moves with every answer, so two readings a
check-in apart would give that person's scores away. A closed month's records never
change (``store_check_in_scores`` leaves them alone), so a new check-in changes
nothing a commissioner can see. A group with fewer than 5 distinct people shows no
number at all.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet

from commissioning.reports.common import (
    SUPPRESSED,
    SUPPRESSION_THRESHOLD,
    Column,
    Level,
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
    CheckInScoreRecord,
    SessionAttendance,
    SupervisionSession,
    SupervisionStatus,
)
from supervision.rules import Status
from workforce.dates import add_months

AVAILABLE = True
TABLE_KEYS = ["supervision", "checkins"]
# Sessions are counted over a rolling quarter; check-ins over the closed calendar
# months before the current one (their records keep only the month).
WINDOW_DAYS = 91
CHECK_IN_MONTHS = 3
CONVERSATION_AID = "a conversation aid, not a clinical measure"


def compliance_figures(scope: ReportScope) -> dict[Any, dict[str, Any]]:
    """Return status counts and median days since the last session, per group."""
    group = f"person__{scope.group_field}"
    rows = (
        SupervisionStatus.objects.filter(scope.supervised_through("person"))
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


def _recent_attendance(scope: ReportScope) -> QuerySet[SessionAttendance]:
    start = scope.as_of - timedelta(days=WINDOW_DAYS)
    return SessionAttendance.objects.filter(
        scope.supervised_through("person"),
        session__state=SupervisionSession.State.FINALISED,
        session__held_on__gt=start,
        session__held_on__lte=scope.as_of,
    )


def session_figures(scope: ReportScope) -> dict[Any, dict[str, Any]]:
    """Return sessions held and sessions discussing wellbeing, per group."""
    group = f"person__{scope.group_field}"
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
        )
        .order_by()
    )
    return by_key(rows, group)


# Shares of check-ins are published to the nearest this many percent.
BAND_PERCENT = 10


def check_in_months(as_of: date) -> tuple[date, date]:
    """Return the first and last closed month of the check-in window before
    ``as_of`` (the current month is never published: it is still changing)."""
    last = add_months(as_of.replace(day=1), -1)
    return add_months(last, -(CHECK_IN_MONTHS - 1)), last


def banded(value: Any) -> int | None:
    """Round a percentage to the nearest ``BAND_PERCENT`` (None stays None)."""
    if value is None:
        return None
    return int(
        (Decimal(value) / BAND_PERCENT).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        * BAND_PERCENT
    )


def check_in_figures(scope: ReportScope) -> dict[Any, dict[str, Any]]:
    """Return distinct people, check-ins, prompts and each answer's mean, per group.

    One query over the pseudonymised records: grouped by the organisation or team
    the check-in was given in, people counted by their respondent key.
    """
    group = scope.group_field
    first, last = check_in_months(scope.as_of)
    rows = (
        CheckInScoreRecord.objects.filter(
            organisation_id__in=scope.provider_ids,
            month__gte=first,
            month__lte=last,
        )
        .values(group)
        .annotate(
            people=Count("respondent_key", distinct=True),
            check_ins=Count("pk"),
            prompted=Count("pk", filter=Q(support_prompt=True)),
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


CHECK_IN_FIGURES = ["people_checked_in", "pct_prompted_support"]


def suppress_complements(rows: list[dict[str, Any]]) -> None:
    """Suppress more teams until the hidden ones hold 5 or more people between them.

    The provider's own figure is shown elsewhere, so with one small team hidden its
    mean could be worked out by subtracting the others from the provider's. Hiding
    the next smallest teams as well leaves only the combined mean of 5 or more
    people to be worked out.
    """

    def hidden_people() -> int:
        return sum(row["people_checked_in"] for row in rows if row["suppressed"])

    shown = sorted(
        (row for row in rows if not row["suppressed"]),
        key=lambda row: row["people_checked_in"],
    )
    while 0 < hidden_people() < SUPPRESSION_THRESHOLD and shown:
        shown.pop(0)["suppressed"] = True


def checkins_table(scope: ReportScope) -> Table:
    """Build the check-in table; groups of under 5 people show no figures at all."""
    figures = check_in_figures(scope)
    rows = []
    for group in scope.groups():
        found = figures.get(scope.key_of(group), {})
        if is_empty_no_team(scope, group, found):
            continue
        people = found.get("people", 0)
        small = people < SUPPRESSION_THRESHOLD
        cells: dict[str, Any] = {
            "people_checked_in": people,
            "pct_prompted_support": banded(
                percent(found.get("prompted"), found.get("check_ins"))
            ),
        }
        rows.append({**group_cells(group, scope.level), "suppressed": small, **cells})
    if scope.level is not Level.PROVIDER:
        suppress_complements(rows)
    for row in rows:
        if row["suppressed"]:
            row.update(dict.fromkeys(CHECK_IN_FIGURES, SUPPRESSED))
    first, last = check_in_months(scope.as_of)
    return Table(
        key="checkins",
        title="Wellbeing check-ins",
        columns=[
            *group_columns(scope.level),
            Column("people_checked_in", "People who checked in"),
            Column(
                "pct_prompted_support",
                f"% that prompted an offer of support (to the nearest {BAND_PERCENT})",
            ),
        ],
        rows=rows,
        note=f"The check-in is {CONVERSATION_AID}. Check-ins in finalised sessions "
        f"held from {first:%B %Y} to {last:%B %Y}, closed months only, where they "
        f"were given; shares to the nearest {BAND_PERCENT}%. Shown only for groups "
        f"of {SUPPRESSION_THRESHOLD} or more people; smaller groups are suppressed so "
        "no one can be identified. No one's own scores, and no averages of scores, "
        "are ever shown.",
    )


def tables(scope: ReportScope) -> list[Table]:
    """Return this family's tables: one query for sessions, one for check-ins."""
    sessions = session_figures(scope)
    return [supervision_table(scope, sessions), checkins_table(scope)]
