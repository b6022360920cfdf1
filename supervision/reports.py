"""Reads for the supervisor dashboard and the manager view: metadata only.

Each function runs a fixed number of queries however many people or sessions there
are, and never loads encrypted content.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from supervision.models import (
    SessionAction,
    SessionAttendance,
    SupervisionPolicy,
    SupervisionSession,
    SupervisionStatus,
)
from supervision.rules import (
    PROMPT_RUN,
    Status,
    required_hours_for,
    support_prompt,
)
from workforce.models import CaseloadSnapshot, CommissioningContract, StaffProfile

# Most urgent first: the later a session is, the higher it comes.
URGENCY = {
    Status.ESCALATED_TWICE: 0,
    Status.ESCALATED: 1,
    Status.OVERDUE: 2,
    Status.DUE_SOON: 3,
    Status.IN_DATE: 4,
    Status.NOT_REQUIRED: 5,
}


@dataclass
class SuperviseeRow:
    person: StaffProfile
    status: Status
    last_session_on: date | None
    days_since_last: int | None
    due_on: date | None
    open_actions: int
    awaiting_acknowledgement: int
    prompt: str = ""
    training: str | None = None
    booking: Any = None  # the next session booked, filled in by the page

    @property
    def urgency(self) -> tuple[int, int, date]:
        """Status first, a support prompt next, then the earliest due date."""
        return (URGENCY[self.status], 0 if self.prompt else 1, self.due_on or date.max)


def _count(queryset: QuerySet[Any], column: str = "pk") -> Coalesce:
    return Coalesce(
        Subquery(
            queryset.order_by().values(column).annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def _training_summaries(person_ids: list[int], *, as_of: date) -> dict[int, str] | None:
    """Summarise each person's training status, or None if learning has no rows yet."""
    try:
        from learning.models import TrainingStatus
        from learning.rules import Status as TrainingState
    except ImportError:  # the learning app is not installed in this build
        return None
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    # ``status`` is the with_status() annotation, which the stubs cannot see.
    for person_id, status in (
        TrainingStatus.objects.filter(  # type: ignore[misc]
            person_id__in=person_ids
        )
        .with_status(as_of)
        .values_list("person_id", "status")
    ):
        counts[person_id][status] += 1
    summaries = {}
    for person_id in person_ids:
        tally = counts.get(person_id)
        if not tally:
            summaries[person_id] = "No training required"
            continue
        overdue = tally.get(TrainingState.OVERDUE, 0)
        soon = tally.get(TrainingState.DUE_SOON, 0)
        parts = [f"{overdue} overdue"] if overdue else []
        parts += [f"{soon} due soon"] if soon else []
        summaries[person_id] = ", ".join(parts) or "In date"
    return summaries


def supervisee_rows(
    supervisor: StaffProfile, *, as_of: date, with_training: bool = True
) -> list[SuperviseeRow]:
    """List the supervisor's active supervisees with status, actions and prompts.

    ``with_training=False`` leaves each row's training summary out (None), and its
    query with it, for the home page panel, which does not show it.
    """
    people = list(
        StaffProfile.objects.filter(supervisor=supervisor)
        .active(as_of=as_of)
        .select_related("user", "team", "job_role", "supervision_status")
        .annotate(
            open_actions=_count(
                SessionAction.objects.open().filter(owner=OuterRef("pk")), "owner"
            ),
            awaiting=_count(
                SessionAttendance.objects.filter(
                    person=OuterRef("pk"),
                    session__state=SupervisionSession.State.FINALISED,
                    acknowledged_at__isnull=True,
                    disagreed_at__isnull=True,
                ),
                "person",
            ),
        )
    )
    ids = [person.pk for person in people]
    # The prompt flags of finalised sessions, newest first: one query for everyone.
    flags: dict[int, list[bool]] = defaultdict(list)
    for person_id, flag in (
        SessionAttendance.objects.filter(
            person_id__in=ids,
            session__state=SupervisionSession.State.FINALISED,
            session__supervisor=supervisor,
        )
        .order_by("person_id", "-session__held_on", "-session_id")
        .values_list("person_id", "support_prompt")
    ):
        if len(flags[person_id]) < PROMPT_RUN:
            flags[person_id].append(flag)
    training = _training_summaries(ids, as_of=as_of) if with_training else None
    rows = []
    for person in people:
        status_row = getattr(person, "supervision_status", None)
        status = status_row.status_on(as_of) if status_row else Status.NOT_REQUIRED
        last = status_row.last_session_on if status_row else None
        recent = flags.get(person.pk, [])
        prompt = support_prompt(recent)
        rows.append(
            SuperviseeRow(
                person=person,
                status=status,
                last_session_on=last,
                days_since_last=(as_of - last).days if last else None,
                due_on=status_row.due_on if status_row else None,
                open_actions=person.open_actions,
                awaiting_acknowledgement=person.awaiting,
                prompt=prompt,
                training=training.get(person.pk) if training is not None else None,
            )
        )
    return rows


@dataclass
class OrganisationRow:
    person: StaffProfile
    status: Status
    last_session_on: date | None
    due_on: date | None
    caseload: int | None
    caseload_limit: Decimal | None

    @property
    def urgency(self) -> tuple[int, int, date]:
        """Status first, an over-threshold caseload next, then the earliest due date."""
        return (
            URGENCY[self.status],
            0 if self.over_threshold else 1,
            self.due_on or date.max,
        )

    @property
    def over_threshold(self) -> bool:
        return (
            self.caseload is not None
            and self.caseload_limit is not None
            and self.caseload > self.caseload_limit
        )


@dataclass
class OrganisationSummary:
    rows: list[OrganisationRow]
    counts: dict[Status, int] = field(default_factory=dict)
    threshold_per_fte: Decimal | None = None

    @property
    def escalated(self) -> list[OrganisationRow]:
        return [
            row
            for row in self.rows
            if row.status in {Status.ESCALATED, Status.ESCALATED_TWICE}
        ]

    @property
    def over_threshold(self) -> int:
        return sum(1 for row in self.rows if row.over_threshold)


def organisation_summary(organisation_id: int, *, as_of: date) -> OrganisationSummary:
    """Everyone active in one organisation: supervision status and caseload."""
    latest_caseload = (
        CaseloadSnapshot.objects.filter(person=OuterRef("pk"), taken_on__lte=as_of)
        .order_by("-taken_on")
        .values("open_cases")[:1]
    )
    people = list(
        StaffProfile.objects.filter(organisation_id=organisation_id)
        .active(as_of=as_of)
        .select_related("user", "team", "job_role", "supervision_status")
        .annotate(latest_caseload=Subquery(latest_caseload))
        .order_by("team__name", "user__last_name", "user__first_name")
    )
    contract = (
        CommissioningContract.objects.active(as_of=as_of)
        .filter(provider_id=organisation_id)
        .order_by("caseload_threshold_per_fte")
        .first()
    )
    threshold = contract.caseload_threshold_per_fte if contract else None
    rows = []
    counts: dict[Status, int] = dict.fromkeys(Status, 0)
    for person in people:
        status_row = getattr(person, "supervision_status", None)
        status = status_row.status_on(as_of) if status_row else Status.NOT_REQUIRED
        counts[status] += 1
        rows.append(
            OrganisationRow(
                person=person,
                status=status,
                last_session_on=status_row.last_session_on if status_row else None,
                due_on=status_row.due_on if status_row else None,
                caseload=person.latest_caseload,
                caseload_limit=(threshold * person.fte).quantize(Decimal("0.1"))
                if threshold is not None
                else None,
            )
        )
    return OrganisationSummary(rows=rows, counts=counts, threshold_per_fte=threshold)


def escalation_counts(organisation_id: int, *, as_of: date) -> dict[str, int]:
    """Count people escalated once and twice in an organisation (home panel)."""
    rows = SupervisionStatus.objects.active(as_of=as_of).filter(
        person__organisation_id=organisation_id
    )
    return rows.aggregate(
        escalated=Count(
            "pk", filter=Q(escalate_on__lte=as_of) & Q(escalate_twice_on__gt=as_of)
        ),
        escalated_twice=Count("pk", filter=Q(escalate_twice_on__lte=as_of)),
        overdue=Count("pk", filter=Q(due_on__lt=as_of)),
    )


@dataclass
class HoursRow:
    person: StaffProfile
    sessions: int
    hours: Decimal
    required: Decimal | None

    @property
    def short(self) -> bool:
        return self.required is not None and self.hours < self.required


@dataclass
class TeamHours:
    team: str
    people: int
    hours: Decimal
    short: int

    @property
    def mean(self) -> Decimal:
        return (self.hours / self.people).quantize(Decimal("0.1"))


def hours_rows(
    people: QuerySet[StaffProfile], *, start: date, end: date
) -> tuple[list[HoursRow], list[TeamHours]]:
    """Hours of finalised supervision each person attended from ``start`` to
    ``end`` (inclusive), against what their policy requires pro rata; and the same
    summed by team. One query for the people, one for the default policy."""
    attended = SessionAttendance.objects.filter(
        person=OuterRef("pk"),
        session__state=SupervisionSession.State.FINALISED,
        session__held_on__gte=start,
        session__held_on__lte=end,
    )
    rows_qs = (
        people.select_related("user", "team", "supervision_status__policy")
        .annotate(
            minutes=Coalesce(
                Subquery(
                    attended.order_by()
                    .values("person")
                    .annotate(total=Sum("session__duration_minutes"))
                    .values("total")[:1],
                    output_field=IntegerField(),
                ),
                Value(0),
            ),
            sessions=_count(attended, "person"),
        )
        .order_by("team__name", "user__last_name", "user__first_name")
    )
    default = SupervisionPolicy.objects.filter(is_default=True).first()
    rows: list[HoursRow] = []
    teams: dict[str, TeamHours] = {}
    for person in rows_qs:
        status = getattr(person, "supervision_status", None)
        policy = (status.policy if status is not None else None) or default
        required = (
            required_hours_for(
                required_hours=policy.required_hours,
                per_months=policy.required_hours_months,
                start=start,
                end=end,
            )
            if policy is not None
            else None
        )
        hours = (Decimal(person.minutes) / 60).quantize(Decimal("0.1"))
        row = HoursRow(
            person=person, sessions=person.sessions, hours=hours, required=required
        )
        rows.append(row)
        name = person.team.name if person.team else "No team"
        team = teams.setdefault(name, TeamHours(name, 0, Decimal(0), 0))
        team.people += 1
        team.hours += hours
        team.short += 1 if row.short else 0
    return rows, list(teams.values())
