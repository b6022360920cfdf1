"""The controls beside the ladder, read in bulk: the SQL twins of ``rules``.

Each function takes the ids of the people a daily sweep chunk covers and ``as_of``
and returns, for each person whose flag should be open that day, the day it opened
(the flag's deadline). Each agrees with its pure rule in :mod:`supervision.rules`,
which says in one place when a flag opens; the sweep in ``notifications`` turns
them into flags through its ``FLAG_SOURCES`` (supervision never imports it).

Every function is one query, whatever the number of people.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

from django.db.models import Exists, F, Min, OuterRef, Q, Subquery
from django.db.models.functions import TruncDate

from supervision.models import (
    CriticalIncident,
    SessionAttendance,
    SessionBooking,
    SupervisionAgreement,
    SupervisionSession,
    SupervisionStatus,
)
from supervision.rules import (
    AGREEMENT_GRACE_DAYS,
    DRAFT_FINALISE_DAYS,
    REBOOK_WORKING_DAYS,
    REGISTRATION_CHECK_MONTHS,
    UNANNOUNCED_VISIT_MONTHS,
    AgreementState,
    agreement_missing_from,
    debrief_overdue_from,
    draft_unfinalised_from,
    rebooking_missing_from,
    registration_lapses_on,
    unannounced_visit_due_from,
)
from workforce.dates import add_months
from workforce.models import PersonKind, StaffProfile

Opened = dict[int, date]


def booking_missing(person_ids: Collection[int], *, as_of: date) -> Opened:
    """People due soon, up to their due date, with no live booking between today
    and that date (``rules.booking_missing_from``)."""
    booked = SessionBooking.objects.live().filter(
        supervisee=OuterRef("person_id"),
        starts_at__date__gte=as_of,
        starts_at__date__lte=OuterRef("due_on"),
    )
    rows = SupervisionStatus.objects.filter(
        person_id__in=person_ids,
        due_on__gte=as_of,
        due_soon_from__lte=as_of,
    ).filter(~Exists(booked))
    return {
        person_id: due_soon_from
        for person_id, due_soon_from in rows.values_list("person_id", "due_soon_from")
        if due_soon_from is not None
    }


def draft_unfinalised(person_ids: Collection[int], *, as_of: date) -> Opened:
    """Supervisors with a draft held ``DRAFT_FINALISE_DAYS`` or more ago, from the
    oldest such draft (``rules.draft_unfinalised_from``). The flag is the
    supervisor's: a draft never counts, so it never escalates the supervisee."""
    rows = (
        SupervisionSession.objects.filter(
            supervisor_id__in=person_ids,
            state=SupervisionSession.State.DRAFT,
            held_on__lte=as_of - timedelta(days=DRAFT_FINALISE_DAYS),
        )
        .values("supervisor_id")
        .annotate(oldest=Min("held_on"))
    )
    return {row["supervisor_id"]: draft_unfinalised_from(row["oldest"]) for row in rows}


def agreement_missing(person_ids: Collection[int], *, as_of: date) -> Opened:
    """Supervisees with a supervisor and supervision required whose agreement is
    missing, made with a former supervisor, or due for review
    (``rules.agreement_missing_from``)."""
    current = SupervisionAgreement.objects.filter(
        supervisee=OuterRef("pk"), replaced_on__isnull=True
    )
    with_supervisor = current.filter(supervisor=OuterRef("supervisor_id"))
    people = StaffProfile.objects.filter(
        pk__in=person_ids,
        supervisor__isnull=False,
        supervision_status__due_on__isnull=False,
    )
    missing = people.filter(
        ~Exists(with_supervisor),
        started_in_role__lte=as_of - timedelta(days=AGREEMENT_GRACE_DAYS),
    )
    opened: Opened = {
        pk: _opened(AgreementState.MISSING, started, None)
        for pk, started in missing.values_list("pk", "started_in_role")
    }
    review_due = SupervisionAgreement.objects.filter(
        supervisee__in=people,
        replaced_on__isnull=True,
        supervisor=F("supervisee__supervisor"),
        review_due_on__lte=as_of,
    )
    for pk, started, review_on in review_due.values_list(
        "supervisee_id", "supervisee__started_in_role", "review_due_on"
    ):
        opened[pk] = _opened(AgreementState.REVIEW_DUE, started, review_on)
    return opened


def _opened(state: AgreementState, started: date, review_on: date | None) -> date:
    day = agreement_missing_from(
        state=state, started_in_role=started, review_due_on=review_on
    )
    assert day is not None  # both states open a flag
    return day


def supervisor_unregistered(person_ids: Collection[int], *, as_of: date) -> Opened:
    """People in social work roles, and foster carers, whose supervisor holds no
    registration, or one whose check has lapsed
    (``rules.supervisor_unregistered_from``)."""
    lapsed_if_checked_by = latest_lapsed_check(as_of)
    rows = StaffProfile.objects.filter(
        Q(job_role__is_social_work=True) | Q(kind=PersonKind.FOSTER_CARER),
        pk__in=person_ids,
        supervisor__isnull=False,
    ).filter(
        Q(supervisor__registration_number="", started_in_role__lte=as_of)
        | (
            ~Q(supervisor__registration_number="")
            & (
                Q(supervisor__registration_checked_on__lte=lapsed_if_checked_by)
                | Q(supervisor__registration_expires_on__lt=as_of)
            )
        )
    )
    opened: Opened = {}
    for pk, started, number, checked_on, expires_on in rows.values_list(
        "pk",
        "started_in_role",
        "supervisor__registration_number",
        "supervisor__registration_checked_on",
        "supervisor__registration_expires_on",
    ):
        opened[pk] = registration_lapses_on(checked_on, number, expires_on) or started
    return opened


def latest_lapsed_check(as_of: date, months: int = REGISTRATION_CHECK_MONTHS) -> date:
    """The latest day whose ``months`` have run out by ``as_of``: a registration
    checked then has lapsed (months are clamped to their end, so a check on 29
    February lapses on 28 February)."""
    checked = add_months(as_of, -months)
    while add_months(checked + timedelta(days=1), months) <= as_of:
        checked += timedelta(days=1)
    return checked


def unannounced_visit_due(person_ids: Collection[int], *, as_of: date) -> Opened:
    """Foster carers with no unannounced visit in the year up to ``as_of``, counted
    from their approval when they have had none
    (``rules.unannounced_visit_due_from``)."""
    lapsed_by = latest_lapsed_check(as_of, UNANNOUNCED_VISIT_MONTHS)
    last_visit = (
        SessionAttendance.objects.filter(
            person=OuterRef("pk"),
            session__unannounced=True,
            session__state=SupervisionSession.State.FINALISED,
        )
        .order_by("-session__held_on")
        .values("session__held_on")[:1]
    )
    rows = (
        StaffProfile.objects.filter(pk__in=person_ids, kind=PersonKind.FOSTER_CARER)
        .annotate(last_unannounced=Subquery(last_visit))
        .filter(
            Q(last_unannounced__isnull=True, started_in_role__lte=lapsed_by)
            | Q(last_unannounced__lte=lapsed_by)
        )
    )
    return {
        pk: unannounced_visit_due_from(approved_on=started, last_unannounced_on=last)
        for pk, started, last in rows.values_list(
            "pk", "started_in_role", "last_unannounced"
        )
    }


def debrief_overdue(person_ids: Collection[int], *, as_of: date) -> Opened:
    """People with a critical incident whose debrief was due before today and has
    not been held since the incident, from the earliest such incident
    (``rules.debrief_overdue_from``)."""
    debriefed = SessionAttendance.objects.filter(
        person=OuterRef("person_id"),
        session__format=SupervisionSession.Format.DEBRIEF,
        session__state=SupervisionSession.State.FINALISED,
        session__held_on__gte=OuterRef("occurred_on"),
    )
    rows = (
        CriticalIncident.objects.filter(
            person_id__in=person_ids, debrief_due_on__lt=as_of
        )
        .filter(~Exists(debriefed))
        .values("person_id")
        .annotate(due=Min("debrief_due_on"))
    )
    return {row["person_id"]: _debrief_opened(row["due"]) for row in rows}


def _debrief_opened(due_on: date) -> date:
    day = debrief_overdue_from(due_on=due_on, debrief_held_on=None)
    assert day is not None  # no debrief held: the flag opens
    return day


def rebooking_missing(person_ids: Collection[int], *, as_of: date) -> Opened:
    """Supervisees with a supervisor and supervision required whose earliest
    cancellation nothing has replaced, from ``REBOOK_WORKING_DAYS`` working days
    after it (``rules.rebooking_missing_from``).

    The cancellations are bookings cancelled before their time and recorded
    sessions cancelled; a later session held, or a booking for a later day still
    standing after the cancellation, replaces one. One query (a union)."""
    people = StaffProfile.objects.filter(
        pk__in=person_ids,
        supervisor__isnull=False,
        supervision_status__due_on__isnull=False,
    ).values("pk")
    # Five working days are never fewer than five days: older cancellations only.
    latest = as_of - timedelta(days=REBOOK_WORKING_DAYS)

    def replaced(person: str) -> Q:
        held = SessionAttendance.objects.filter(
            person=OuterRef(person), session__held_on__gt=OuterRef("day")
        ).exclude(session__state=SupervisionSession.State.CANCELLED)
        booked = SessionBooking.objects.filter(
            supervisee=OuterRef(person), starts_at__date__gt=OuterRef("day")
        ).filter(
            Q(cancelled_at__isnull=True) | Q(cancelled_at__date__gt=OuterRef("day"))
        )
        return Exists(held) | Exists(booked)

    cancelled_bookings = (
        SessionBooking.objects.filter(
            supervisee__in=people,
            cancelled_at__isnull=False,
            cancelled_at__lt=F("starts_at"),
        )
        .annotate(day=TruncDate("cancelled_at"), person=F("supervisee_id"))
        .filter(day__lte=latest)
        .filter(~replaced("supervisee_id"))
        .values_list("person", "day")
        .order_by()  # no ORDER BY inside a UNION (SQLite refuses one)
    )
    cancelled_sessions = (
        SessionAttendance.objects.filter(
            person__in=people, session__state=SupervisionSession.State.CANCELLED
        )
        .annotate(day=F("session__held_on"), person_ref=F("person_id"))
        .filter(day__lte=latest)
        .filter(~replaced("person_id"))
        .values_list("person_ref", "day")
        .order_by()
    )
    earliest: dict[int, date] = {}
    for person_id, day in cancelled_bookings.union(cancelled_sessions, all=True):
        if person_id not in earliest or day < earliest[person_id]:
            earliest[person_id] = day
    opened: Opened = {}
    for person_id, day in earliest.items():
        opens = rebooking_missing_from(cancelled_on=[day], bookings=[], held_on=[])
        if opens is not None and opens <= as_of:
            opened[person_id] = opens
    return opened
