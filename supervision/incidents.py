"""Critical incidents: recorded for a worker, and the debrief each one calls for.

A debrief is a finalised session in the debrief format that the worker attended,
held on or after the incident. It comes on top of scheduled supervision: it never
resets the clock (``rules.session_counts``). ``controls.debrief_overdue`` flags one
not held by its due date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from accounts.models import User
from accounts.roles import Role, roles_of
from supervision.models import (
    CriticalIncident,
    SessionAttendance,
    SupervisionPolicy,
    SupervisionSession,
)
from supervision.rules import (
    DEFAULT_DEBRIEF_WORKING_DAYS,
    add_working_days,
    debrief_overdue_from,
)
from supervision.services import NotAllowed, SupervisionError
from workforce.audit import record_audit
from workforce.models import StaffProfile

# A case reference, like C-1042: letters, a hyphen, digits. Never a name.
CASE_REFERENCE = re.compile(r"^[A-Z]{1,4}-\d{1,8}$")


@transaction.atomic
def record_incident(
    *,
    by: User,
    person_id: int,
    kind: str,
    case_reference: str,
    occurred_on: date,
    as_of: date,
) -> CriticalIncident:
    """Record a critical incident for a worker; its debrief falls due by policy."""
    person = (
        StaffProfile.objects.select_related("supervisor", "supervision_status__policy")
        .filter(pk=person_id)
        .first()
    )
    if person is None or not _may_record(by, person):
        raise NotAllowed("Only the worker's supervisor or a manager can record this.")
    if kind not in CriticalIncident.Kind.values:
        raise SupervisionError("Choose what kind of incident it was.")
    case_reference = case_reference.strip().upper()
    if not CASE_REFERENCE.match(case_reference):
        raise SupervisionError(
            "Enter a case reference, like C-1042. Never write a child's name."
        )
    if occurred_on > as_of:
        raise SupervisionError("The incident cannot be in the future.")
    incident = CriticalIncident.objects.create(
        person=person,
        kind=kind,
        case_reference=case_reference,
        occurred_on=occurred_on,
        debrief_due_on=add_working_days(occurred_on, _debrief_days(person)),
        recorded_by=by,
    )
    record_audit(
        actor=by,
        action="sustain.incident.record",
        instance=incident,
        summary=f"Critical incident recorded for {person.full_name}",
    )
    return incident


def _may_record(by: User, person: StaffProfile) -> bool:
    if person.supervisor is not None and person.supervisor.user_id == by.pk:
        return True
    return (
        Role.PROVIDER_MANAGER in roles_of(by)
        and StaffProfile.objects.for_user(by).filter(pk=person.pk).exists()
    )


def _debrief_days(person: StaffProfile) -> int:
    status = getattr(person, "supervision_status", None)
    policy = status.policy if status is not None else None
    policy = policy or SupervisionPolicy.objects.filter(is_default=True).first()
    return policy.debrief_within_days if policy else DEFAULT_DEBRIEF_WORKING_DAYS


@dataclass
class IncidentRow:
    incident: CriticalIncident
    debrief_held_on: date | None
    overdue: bool


def incident_rows(person: StaffProfile, *, as_of: date) -> list[IncidentRow]:
    """The person's incidents, newest first, each with the debrief that answered it
    (the first held on or after it) and whether it is overdue
    (``rules.debrief_overdue_from``). Two queries."""
    debriefs = sorted(
        SessionAttendance.objects.filter(
            person=person,
            session__format=SupervisionSession.Format.DEBRIEF,
            session__state=SupervisionSession.State.FINALISED,
        ).values_list("session__held_on", flat=True)
    )
    rows = []
    for incident in CriticalIncident.objects.filter(person=person).select_related(
        "recorded_by"
    ):
        held = next((day for day in debriefs if day >= incident.occurred_on), None)
        opens = debrief_overdue_from(
            due_on=incident.debrief_due_on, debrief_held_on=held
        )
        rows.append(
            IncidentRow(
                incident=incident,
                debrief_held_on=held,
                overdue=opens is not None and opens <= as_of,
            )
        )
    return rows
