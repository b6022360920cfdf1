"""Supervision agreements: the writes (services) and the one read the pages share.

A supervisor writes the agreement for one of their supervisees, which is their
agreeing to it; the supervisee acknowledges it. Writing a new one (a yearly review, a
change, or a new supervisor) replaces the current one, which stays on record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.db.models import Prefetch

from accounts.models import User
from supervision.models import SupervisionAgreement
from supervision.rules import AgreementState, agreement_review_due
from supervision.services import NotAllowed, SupervisionError, lock_own_supervisee
from workforce.audit import record_audit
from workforce.models import StaffProfile

TEXT_LIMIT = 2000
LINE_LIMIT = 200


@dataclass(frozen=True)
class AgreementTerms:
    """What the two people agree."""

    frequency: str
    place: str
    confidentiality: str
    missed_sessions: str

    def cleaned(self) -> AgreementTerms:
        terms = AgreementTerms(
            frequency=self.frequency.strip(),
            place=self.place.strip(),
            confidentiality=self.confidentiality.strip(),
            missed_sessions=self.missed_sessions.strip(),
        )
        if not all(terms.__dict__.values()):
            raise SupervisionError("Fill in every part of the agreement.")
        if max(len(terms.frequency), len(terms.place)) > LINE_LIMIT:
            raise SupervisionError(
                f"Keep how often and where to {LINE_LIMIT} characters each."
            )
        if max(len(terms.confidentiality), len(terms.missed_sessions)) > TEXT_LIMIT:
            raise SupervisionError(f"Keep each answer to {TEXT_LIMIT:,} characters.")
        return terms


@transaction.atomic
def make_agreement(
    *, by: User, supervisee_id: int, terms: AgreementTerms, as_of: date
) -> SupervisionAgreement:
    """Write a supervisee's agreement as their supervisor, replacing the current one."""
    supervisee, supervisor = lock_own_supervisee(
        by=by,
        supervisee_id=supervisee_id,
        refusal="Only the person's supervisor can write their agreement.",
    )
    terms = terms.cleaned()
    replaced = SupervisionAgreement.objects.filter(
        supervisee=supervisee, replaced_on__isnull=True
    ).update(replaced_on=as_of)
    agreement = SupervisionAgreement.objects.create(
        supervisee=supervisee,
        supervisor=supervisor,
        agreed_on=as_of,
        review_due_on=agreement_review_due(as_of),
        **terms.__dict__,
    )
    # Who agreed and when, not what: the terms stay on the agreement itself.
    record_audit(
        actor=by,
        action="sustain.agreement.make",
        instance=agreement,
        data={"supervisee": supervisee.pk, "replaced": replaced},
    )
    return agreement


@transaction.atomic
def acknowledge_agreement(
    *, by: User, agreement_id: int, now: datetime
) -> SupervisionAgreement:
    """The supervisee acknowledges their current agreement (once; again is a no-op)."""
    agreement = (
        SupervisionAgreement.objects.select_for_update(of=("self",))
        .select_related("supervisee")
        .get(pk=agreement_id)
    )
    if agreement.supervisee.user_id != by.pk:
        raise NotAllowed("Only the supervisee can acknowledge their agreement.")
    if agreement.replaced_on is not None:
        raise SupervisionError("This agreement has been replaced by a newer one.")
    if agreement.supervisee_acknowledged_at is None:
        agreement.supervisee_acknowledged_at = now
        agreement.save(update_fields=["supervisee_acknowledged_at"])
        record_audit(
            actor=by, action="sustain.agreement.acknowledge", instance=agreement
        )
    return agreement


def current_agreement(person: StaffProfile) -> SupervisionAgreement | None:
    return (
        SupervisionAgreement.objects.filter(supervisee=person, replaced_on__isnull=True)
        .select_related("supervisor__user", "supervisee")
        .first()
    )


@dataclass(frozen=True)
class AgreementRow:
    person: StaffProfile
    agreement: SupervisionAgreement | None
    state: AgreementState


def agreement_rows(supervisor: StaffProfile, *, as_of: date) -> list[AgreementRow]:
    """Each active supervisee of ``supervisor`` with where their agreement stands."""
    people = (
        StaffProfile.objects.filter(supervisor=supervisor)
        .active(as_of=as_of)
        .select_related("user")
        .prefetch_related(
            Prefetch(
                "supervision_agreements",
                queryset=SupervisionAgreement.objects.filter(replaced_on__isnull=True),
                to_attr="current_agreements",
            )
        )
        .order_by("user__last_name", "user__first_name", "pk")
    )
    rows = []
    for person in people:
        agreement = next(iter(person.current_agreements), None)  # type: ignore[attr-defined]
        state = agreement.state_on(as_of) if agreement else AgreementState.MISSING
        rows.append(AgreementRow(person=person, agreement=agreement, state=state))
    return rows
