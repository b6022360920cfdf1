"""The supervision ladder as pure functions of stored dates and ``as_of``.

Which date decides the stage: the *anchor* of the interval, i.e. the date of the
latest finalised session the person attended that *counts* (``session_counts``: long
enough, and in a format the policy counts; a debrief never does), or their start in
role when there is none. The stage is the one the person was in on that date, counted
from ``started_in_role`` (the LGA standard counts from the first weeks of
employment), or from ``qualified_on`` where a policy still says so. A policy with a
consolidation period (Wales) never lets the interval exceed its consolidation
interval while that period runs. So ``due_on`` is fixed when a session is
finalised and never moves as days pass: a session held in the weekly stage makes the
next one due 7 days later, even if that day falls in the fortnightly stage.

Boundaries (all calendar dates, inclusive where said):

- ``due_soon``        due_on - due_soon_days <= as_of <= due_on (a session on the
                      due date is on time)
- ``overdue``         as_of > due_on
- ``escalated``       as_of >= due_on + first_escalation_days
- ``escalated_twice`` as_of >= anchor + 2 x interval (may come before ``escalated``
                      for short intervals; the more serious status wins)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from workforce.dates import add_months


class Status(StrEnum):
    IN_DATE = "in_date"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    ESCALATED = "escalated"
    ESCALATED_TWICE = "escalated_twice"
    NOT_REQUIRED = "not_required"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def tag_class(self) -> str:
        return STATUS_TAGS[self]


STATUS_LABELS = {
    Status.IN_DATE: "In date",
    Status.DUE_SOON: "Due soon",
    Status.OVERDUE: "Overdue",
    Status.ESCALATED: "Escalated",
    Status.ESCALATED_TWICE: "Escalated twice",
    Status.NOT_REQUIRED: "Not required",
}
STATUS_TAGS = {
    Status.IN_DATE: "govuk-tag--green",
    Status.DUE_SOON: "govuk-tag--yellow",
    Status.OVERDUE: "govuk-tag--orange",
    Status.ESCALATED: "govuk-tag--red",
    Status.ESCALATED_TWICE: "govuk-tag--purple",
    Status.NOT_REQUIRED: "govuk-tag--grey",
}
# Most serious first; ``with_status`` uses the same order.
SEVERITY = [
    Status.ESCALATED_TWICE,
    Status.ESCALATED,
    Status.OVERDUE,
    Status.DUE_SOON,
    Status.IN_DATE,
    Status.NOT_REQUIRED,
]


@dataclass(frozen=True)
class Stage:
    """Supervise every ``interval_days`` until ``ends_on`` (None: for good)."""

    interval_days: int
    ends_on: date | None


@dataclass(frozen=True)
class Ladder:
    """The stored dates a status is read from."""

    anchor: date
    interval_days: int
    due_on: date
    due_soon_from: date
    escalate_on: date
    escalate_twice_on: date


def stage_end(start: date, amount: int, unit: str) -> date:
    """Return the first day after a stage lasting ``amount`` ``unit`` from ``start``."""
    if unit == "months":
        return add_months(start, amount)
    if unit == "weeks":
        return start + timedelta(weeks=amount)
    return start + timedelta(days=amount)


def interval_on(stages: list[Stage], day: date) -> int:
    """Return the interval of the stage in force on ``day`` (stages in order)."""
    for stage in stages:
        if stage.ends_on is None or day < stage.ends_on:
            return stage.interval_days
    return stages[-1].interval_days


# --- Which sessions count -----------------------------------------------------------
ONE_TO_ONE = "one_to_one"
GROUP = "group"
PEER = "peer"
DEBRIEF = "debrief"


def counted_formats(*, counts_group: bool, counts_peer: bool) -> frozenset[str]:
    """Return the formats that reset the clock: one-to-one, plus what the policy adds.

    A debrief after an incident comes on top of scheduled supervision, never instead.
    """
    formats = {ONE_TO_ONE}
    if counts_group:
        formats.add(GROUP)
    if counts_peer:
        formats.add(PEER)
    return frozenset(formats)


def session_counts(
    *,
    format: str,
    duration_minutes: int,
    min_minutes: int,
    counts_group: bool,
    counts_peer: bool,
) -> bool:
    """Say whether a finalised session resets the clock under a policy."""
    return duration_minutes >= min_minutes and format in counted_formats(
        counts_group=counts_group, counts_peer=counts_peer
    )


def ladder(
    *,
    anchor: date,
    stages: list[Stage],
    due_soon_days: int,
    first_escalation_days: int,
    consolidation_until: date | None = None,
    consolidation_interval_days: int | None = None,
) -> Ladder:
    """Work out the ladder's dates from the anchor and the policy's stages."""
    interval = interval_on(stages, anchor)
    if (
        consolidation_until is not None
        and consolidation_interval_days is not None
        and anchor < consolidation_until
    ):
        interval = min(interval, consolidation_interval_days)
    due_on = anchor + timedelta(days=interval)
    return Ladder(
        anchor=anchor,
        interval_days=interval,
        due_on=due_on,
        due_soon_from=due_on - timedelta(days=due_soon_days),
        escalate_on=due_on + timedelta(days=first_escalation_days),
        escalate_twice_on=anchor + timedelta(days=2 * interval),
    )


def status_on(
    *,
    due_on: date | None,
    due_soon_from: date | None,
    escalate_on: date | None,
    escalate_twice_on: date | None,
    as_of: date,
) -> Status:
    """Return the supervision status on ``as_of`` from the stored ladder dates."""
    if due_on is None or due_soon_from is None:
        return Status.NOT_REQUIRED
    if escalate_twice_on is not None and as_of >= escalate_twice_on:
        return Status.ESCALATED_TWICE
    if escalate_on is not None and as_of >= escalate_on:
        return Status.ESCALATED
    if as_of > due_on:
        return Status.OVERDUE
    if as_of >= due_soon_from:
        return Status.DUE_SOON
    return Status.IN_DATE


# --- Foster carers -----------------------------------------------------------------
# Foster carers are not employees and are not on the staff ladder. England's
# fostering standards (Department for Education, Fostering Services: National
# Minimum Standards, 2011, standard 21.8) say who supervises them, a named,
# appropriately qualified social worker, and fix one interval: at least one
# unannounced visit a year. They leave the frequency of supervisory visits to the
# fostering service; Sustain's default is monthly, as in the local authority
# procedures that set one (for example Hull City Council, "Supervision of Foster
# Carers", 2011). Wales has its own regulations (the Regulated Fostering Services
# (Service Providers and Responsible Individuals) (Wales) Regulations 2019, and the
# Local Authority Fostering Services (Wales) Regulations 2018); this default
# claims nothing from them.
FOSTER_CARER_VISIT_MONTHS = 1
# Reminded a week before, and the supervisor's manager told two weeks after, as on
# the staff ladder (the platform's defaults in the supervision design notes).
FOSTER_CARER_DUE_SOON_DAYS = 7
FOSTER_CARER_ESCALATION_DAYS = 14
# A supervisory visit resets the clock when it is a one-to-one visit of at least
# this long (the platform's default, as for frontline staff; not a national figure).
FOSTER_CARER_MIN_MINUTES = 60
# NMS 2011 standard 21.8: "at least one unannounced visit a year".
UNANNOUNCED_VISIT_MONTHS = 12


def foster_carer_visit_counts(*, format: str, duration_minutes: int) -> bool:
    """Say whether a finalised session resets a foster carer's clock: a one-to-one
    supervisory visit of ``FOSTER_CARER_MIN_MINUTES`` or more. A support group or
    a debrief never does."""
    return format == ONE_TO_ONE and duration_minutes >= FOSTER_CARER_MIN_MINUTES


def foster_carer_ladder(*, anchor: date) -> Ladder:
    """Work out a foster carer's ladder from their last counted visit (or their
    approval): due a calendar month later, escalated twice two months after it."""
    due_on = add_months(anchor, FOSTER_CARER_VISIT_MONTHS)
    return Ladder(
        anchor=anchor,
        interval_days=(due_on - anchor).days,
        due_on=due_on,
        due_soon_from=due_on - timedelta(days=FOSTER_CARER_DUE_SOON_DAYS),
        escalate_on=due_on + timedelta(days=FOSTER_CARER_ESCALATION_DAYS),
        escalate_twice_on=add_months(anchor, 2 * FOSTER_CARER_VISIT_MONTHS),
    )


def unannounced_visit_due_from(
    *, approved_on: date, last_unannounced_on: date | None
) -> date:
    """The day a foster carer's unannounced visit is flagged: a year after the last
    one, or after their approval when there has been none."""
    return add_months(last_unannounced_on or approved_on, UNANNOUNCED_VISIT_MONTHS)


# --- The wellbeing check-in ---------------------------------------------------------
HIGH_IMPACT = 7
LOW_SUPPORT_OR_WORKLOAD = 3
# Module 5: a low score on switching off and sleeping suggests more help is needed.
LOW_SWITCHING_OFF = 3


def check_in_prompts(
    *,
    impact: int | None,
    switching_off: int | None,
    support: int | None,
    workload: int | None,
) -> bool:
    """Say whether a check-in should prompt the supervisor to offer support.

    Direction: a *high* impact score is the worrying one; for switching off,
    support and workload a *low* score is.
    """
    return (
        (impact is not None and impact >= HIGH_IMPACT)
        or (switching_off is not None and switching_off <= LOW_SWITCHING_OFF)
        or (support is not None and support <= LOW_SUPPORT_OR_WORKLOAD)
        or (workload is not None and workload <= LOW_SUPPORT_OR_WORKLOAD)
    )


# --- Supervision agreements ---------------------------------------------------------
# Reviewed at least yearly (SCIE guide 50 and the LGA employer standards ask for a
# written agreement that both people revisit).
AGREEMENT_REVIEW_MONTHS = 12


class AgreementState(StrEnum):
    MISSING = "missing"
    AWAITING_SUPERVISEE = "awaiting_supervisee"
    CURRENT = "current"
    REVIEW_DUE = "review_due"
    WITH_FORMER_SUPERVISOR = "with_former_supervisor"

    @property
    def label(self) -> str:
        return {
            AgreementState.MISSING: "No agreement",
            AgreementState.AWAITING_SUPERVISEE: "Awaiting the supervisee",
            AgreementState.CURRENT: "Agreed",
            AgreementState.REVIEW_DUE: "Review due",
            AgreementState.WITH_FORMER_SUPERVISOR: "Made with a former supervisor",
        }[self]

    @property
    def needs_action(self) -> bool:
        return self is not AgreementState.CURRENT


def agreement_review_due(agreed_on: date) -> date:
    """The day an agreement made on ``agreed_on`` is due for review."""
    return add_months(agreed_on, AGREEMENT_REVIEW_MONTHS)


def agreement_state(
    *,
    agreed_on: date | None,
    supervisee_acknowledged: bool,
    made_with_current_supervisor: bool,
    as_of: date,
) -> AgreementState:
    """Say where a supervisee's agreement stands on ``as_of``.

    No agreement is MISSING. One made with someone other than the current supervisor
    no longer holds. Otherwise it is due for review from 12 months after it was made
    (on that day, inclusive), and until the supervisee acknowledges it, it is
    awaiting them.
    """
    if agreed_on is None:
        return AgreementState.MISSING
    if not made_with_current_supervisor:
        return AgreementState.WITH_FORMER_SUPERVISOR
    if as_of >= agreement_review_due(agreed_on):
        return AgreementState.REVIEW_DUE
    if not supervisee_acknowledged:
        return AgreementState.AWAITING_SUPERVISEE
    return AgreementState.CURRENT


# --- Prompts across sessions, and who hears of an escalation ------------------------

PROMPT_RUN = 3  # "three sessions in a row prompts again"
PROMPT_AGAIN = (
    "Check-ins have crossed the threshold three sessions in a row: offer support again."
)
PROMPT_LATEST = "The latest check-in crossed the threshold: offer support."


def support_prompt(recent: list[bool]) -> str:
    """Say what the supervisor should do, from the latest sessions' prompt flags,
    newest first: the three latest all over the threshold prompts again; the latest
    alone prompts once; otherwise nothing."""
    if len(recent) >= PROMPT_RUN and all(recent[:PROMPT_RUN]):
        return PROMPT_AGAIN
    if recent and recent[0]:
        return PROMPT_LATEST
    return ""


def escalation_recipient(
    *,
    supervisor_id: int | None,
    supervisors_manager_id: int | None,
    line_manager_id: int | None,
) -> int | None:
    """Return whose staff record hears of a first escalation: the supervisor's line
    manager; else the person's own line manager, unless that is the supervisor (who
    already knows); else no one (the second escalation reaches provider managers)."""
    if supervisor_id is not None and supervisors_manager_id is not None:
        return supervisors_manager_id
    if line_manager_id is not None and line_manager_id != supervisor_id:
        return line_manager_id
    return None


# --- Controls beside the ladder: what the daily sweep flags -------------------------
# Each rule returns the day its flag opens (the flag's deadline), or None: the flag
# is open on that day and after, never before. ``supervision.controls`` holds their
# SQL twins, which the sweep reads; the two must agree.

# A draft not finalised this many days after the session is flagged to its
# supervisor (10 working days: the platform's default in the supervision notes).
DRAFT_FINALISE_DAYS = 14
# A supervisee with no agreement is flagged this many days after starting in role:
# the first supervision, within the first month, is where it is made.
AGREEMENT_GRACE_DAYS = 28
# A registration is taken as current for this long after the register was checked:
# Social Work England and Social Care Wales renew registration every year.
REGISTRATION_CHECK_MONTHS = 12
# A cancelled session is rebooked within 5 working days (the West Berkshire
# supervision agreement rebooks at cancellation, or within 5 working days of a
# return from sickness).
REBOOK_WORKING_DAYS = 5
# Debrief within 2 working days of a critical incident (the platform's default in
# the supervision notes, following children's services supervision standards).
DEFAULT_DEBRIEF_WORKING_DAYS = 2


def add_working_days(start: date, days: int) -> date:
    """Return the date ``days`` working days (Monday to Friday) after ``start``."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def booking_missing_from(
    *, due_soon_from: date | None, due_on: date | None, next_booked_on: date | None
) -> date | None:
    """The day "no next session booked" opens: when the person becomes due soon
    with nothing booked on or before their due date. A booking after the due date
    does not help: the session would be late. ``next_booked_on`` is the person's
    earliest live booking from the day asked about. The flag stays open until the
    due date at the latest: after it, the overdue flag carries on."""
    if due_soon_from is None or due_on is None:
        return None
    if next_booked_on is not None and next_booked_on <= due_on:
        return None
    return due_soon_from


def draft_unfinalised_from(held_on: date) -> date:
    """The day a draft held on ``held_on`` is flagged if it is still a draft."""
    return held_on + timedelta(days=DRAFT_FINALISE_DAYS)


def agreement_missing_from(
    *, state: AgreementState, started_in_role: date, review_due_on: date | None
) -> date | None:
    """The day a missing or stale agreement is flagged; None while it holds.

    Missing (or made with a former supervisor): ``AGREEMENT_GRACE_DAYS`` after the
    start in role. Due for review: the review date. Awaiting the supervisee's
    acknowledgement is not flagged: the supervisor has done their part.
    """
    if state in (AgreementState.MISSING, AgreementState.WITH_FORMER_SUPERVISOR):
        return started_in_role + timedelta(days=AGREEMENT_GRACE_DAYS)
    if state is AgreementState.REVIEW_DUE and review_due_on is not None:
        return review_due_on
    return None


def registration_lapses_on(
    checked_on: date | None, number: str, expires_on: date | None = None
) -> date | None:
    """The day a registration stops being taken as current (None: none held):
    ``REGISTRATION_CHECK_MONTHS`` after the check, or the day after the expiry the
    register showed, whichever comes first."""
    if not number or checked_on is None:
        return None
    lapses = add_months(checked_on, REGISTRATION_CHECK_MONTHS)
    if expires_on is not None:
        lapses = min(lapses, expires_on + timedelta(days=1))
    return lapses


def supervisor_unregistered_from(
    *,
    social_work_role: bool,
    has_supervisor: bool,
    supervisor_registration_lapses_on: date | None,
    started_in_role: date,
) -> date | None:
    """The day a social worker's supervisor is flagged as not registered: from the
    start in role if the supervisor holds no registration, else the day its check
    lapses. Other roles, and people with no supervisor, are never flagged. A foster
    carer counts as a social work role here: the fostering standards ask for a
    supervising social worker (NMS 2011, standard 21.8)."""
    if not social_work_role or not has_supervisor:
        return None
    if supervisor_registration_lapses_on is None:
        return started_in_role
    return supervisor_registration_lapses_on


def debrief_overdue_from(*, due_on: date, debrief_held_on: date | None) -> date | None:
    """The day an incident's debrief is flagged: the day after it was due, unless a
    debrief has been held since the incident."""
    if debrief_held_on is not None:
        return None
    return due_on + timedelta(days=1)


def rebooking_missing_from(
    *,
    cancelled_on: Iterable[date],
    bookings: Iterable[tuple[date, date | None]],
    held_on: Iterable[date],
) -> date | None:
    """The day "cancelled with no new date" opens: ``REBOOK_WORKING_DAYS`` working
    days after the earliest cancellation nothing has replaced, or None.

    ``cancelled_on`` holds the days sessions were cancelled (a booking cancelled
    before its time, on the day it was cancelled; a recorded session cancelled, on
    the day it was to be held). ``bookings`` holds each booking's (day of the
    session, day cancelled or None); ``held_on`` the days of sessions not
    cancelled. A cancellation is replaced by a session held on a later day, or by a
    booking for a later day still standing after the day of the cancellation (made
    then or later, or made earlier and not cancelled by then).
    """
    bookings, held_on = list(bookings), list(held_on)

    def replaced(day: date) -> bool:
        return any(held > day for held in held_on) or any(
            start > day and (cancelled is None or cancelled > day)
            for start, cancelled in bookings
        )

    waiting = [day for day in cancelled_on if not replaced(day)]
    if not waiting:
        return None
    return add_working_days(min(waiting), REBOOK_WORKING_DAYS)


def required_hours_for(
    *, required_hours: int | None, per_months: int, start: date, end: date
) -> Decimal | None:
    """The hours of supervision a policy requires over ``start`` to ``end``
    (inclusive): its required hours pro rata for the period's days, to one decimal
    place; None if it requires none. A policy's period of ``per_months`` months is
    taken as ``per_months`` twelfths of 365.25 days."""
    if required_hours is None:
        return None
    days = Decimal((end - start).days + 1)
    per_days = Decimal("365.25") * per_months / 12
    return (Decimal(required_hours) * days / per_days).quantize(Decimal("0.1"))
