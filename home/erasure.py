"""Erasure (UK GDPR article 17): leavers past retention are anonymised.

A person is erased once they have been gone longer than ``LEAVER_RETENTION_MONTHS``
and their organisation's supervision retention, whichever is longer. Erasing removes
what identifies them or is theirs to tell: their name, email and sign-in, their free
text (feedback, exception notes, external training details, agreement terms) and
their supervision content (their check-in answers, wellbeing notes, reflections,
actions, sealed notes and the content of sessions only they attended). It keeps the
dated records funders' figures are counted from (completions, sessions, statuses,
caseload snapshots), attached to a staff record that no longer names anyone, so a
past month's figures do not change.

It runs in chunks of people, each in its own transaction, and marks each person
``erased_on`` in the same transaction, so a second run, or a retried chunk, changes
nothing. One audit entry per person records that it happened, without what was
erased. A dry run does the same work and rolls it back, to count what it would do.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Q, Value
from django.db.models.functions import Replace

from workforce.audit import record_audit
from workforce.dates import add_months
from workforce.models import StaffProfile, StaffProfileQuerySet

DEFAULT_CHUNK_SIZE = 100
ERASED_FIRST_NAME = "Erased"


@dataclass
class ErasureResult:
    """What a run erased (or, dry, would erase): people, and records by kind."""

    dry_run: bool = False
    people: int = 0
    chunks: int = 0
    records: Counter[str] = field(default_factory=Counter)


class _RollBack(Exception):
    """Raised inside a dry run's transaction so nothing it did is kept."""


def leavers_due(*, as_of: date) -> StaffProfileQuerySet:
    """Keep the people not yet erased whose last day is past the retention period
    (their organisation's own, if longer, is checked per person)."""
    cutoff = add_months(as_of, -settings.LEAVER_RETENTION_MONTHS)
    return StaffProfile.objects.filter(
        erased_on__isnull=True, left_on__isnull=False, left_on__lte=cutoff
    )


def _past_retention(person: StaffProfile, *, as_of: date) -> bool:
    months = max(
        settings.LEAVER_RETENTION_MONTHS,
        person.organisation.supervision_retention_months,
    )
    return person.left_on is not None and add_months(person.left_on, months) <= as_of


def erase_leavers(
    *, as_of: date, chunk_size: int = DEFAULT_CHUNK_SIZE, dry_run: bool = False
) -> ErasureResult:
    """Erase every leaver past retention, one chunk of people per transaction."""
    result = ErasureResult(dry_run=dry_run)
    after = 0
    while True:
        ids = list(
            leavers_due(as_of=as_of)
            .filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:chunk_size]
        )
        if not ids:
            return result
        after = ids[-1]
        chunk = ErasureResult()
        try:
            with transaction.atomic():
                erase_chunk(person_ids=ids, as_of=as_of, into=chunk)
                if dry_run:
                    raise _RollBack
        except _RollBack:
            pass
        result.chunks += 1
        result.people += chunk.people
        result.records.update(chunk.records)


def erase_chunk(*, person_ids: list[int], as_of: date, into: ErasureResult) -> None:
    """Erase those of these people still due (locked; ones another run holds are
    skipped, and found again by the next run)."""
    people = (
        StaffProfile.objects.select_for_update(of=("self",), skip_locked=True)
        .filter(pk__in=person_ids, erased_on__isnull=True)
        .select_related("user", "organisation")
        .order_by("pk")
    )
    for person in people:
        if _past_retention(person, as_of=as_of):
            into.records.update(erase_person(person, as_of=as_of))
            into.people += 1


def erase_person(person: StaffProfile, *, as_of: date) -> Counter[str]:
    """Anonymise one person (inside the caller's transaction); count what changed."""
    names = _identifying_strings(person)
    counts: Counter[str] = Counter()
    counts.update(_erase_learning(person))
    counts.update(_erase_supervision(person, as_of=as_of))
    counts.update(_erase_notifications(person, names))
    counts.update(_erase_account(person))
    person.registration_body = ""
    person.registration_number = ""
    person.registration_checked_on = None
    person.erased_on = as_of
    person.save(
        update_fields=[
            "registration_body",
            "registration_number",
            "registration_checked_on",
            "erased_on",
        ]
    )
    counts["audit labels"] += _replace_everywhere(
        apps.get_model("wagtailcore", "ModelLogEntry"), ("label",), names, person
    )
    record_audit(
        actor=None,
        action="sustain.person.erase",
        instance=person,
        summary="Personal data erased after the retention period",
        data={"records": dict(sorted(counts.items()))},
    )
    return counts


def _identifying_strings(person: StaffProfile) -> list[str]:
    user = person.user
    found = {user.get_full_name().strip(), user.email.strip(), user.username.strip()}
    # Longest first, so a full name is replaced before a part of it could be.
    return sorted((s for s in found if len(s) >= 3), key=len, reverse=True)


def _replace_everywhere(
    model: type, fields: tuple[str, ...], names: list[str], person: StaffProfile
) -> int:
    """Replace the person's names in these text columns with their erased name."""
    changed = 0
    for name in names:
        for column in fields:
            changed += model._default_manager.filter(
                **{f"{column}__contains": name}
            ).update(
                **{column: Replace(column, Value(name), Value(_erased_name(person)))}
            )
    return changed


def _erased_name(person: StaffProfile) -> str:
    return f"{ERASED_FIRST_NAME} person {person.pk}"


def _erase_learning(person: StaffProfile) -> Counter[str]:
    from learning.models import (
        Completion,
        ExternalTraining,
        Feedback,
        TrainingException,
    )

    counts: Counter[str] = Counter()
    counts["feedback comments"] = (
        Feedback.objects.filter(completion__person=person).exclude(comment="")
    ).update(comment="")
    counts["exception notes"] = TrainingException.objects.filter(person=person).update(
        note="", closing_note=""
    )
    counts["revocation reasons"] = (
        Completion.objects.filter(person=person).exclude(revocation_reason="")
    ).update(revocation_reason="")
    external = list(ExternalTraining.objects.filter(person=person))
    for record in external:
        if record.evidence:
            storage, name = record.evidence.storage, record.evidence.name
            # Only once the erasure is kept: a dry run or a failure keeps the file.
            transaction.on_commit(lambda s=storage, n=name: s.delete(n))
    counts["external training"] = ExternalTraining.objects.filter(person=person).update(
        title="External training", provider="", evidence="", evidence_reference="Erased"
    )
    return counts


def _erase_supervision(person: StaffProfile, *, as_of: date) -> Counter[str]:
    from supervision.models import (
        CONTENT_FIELDS,
        AccessEvent,
        CriticalIncident,
        PreSessionCheckIn,
        SealedNote,
        SessionAction,
        SessionAttendance,
        SessionBooking,
        SessionVersion,
        SupervisionAgreement,
        SupervisionSession,
    )
    from supervision.services import emptied_attendance_content

    counts: Counter[str] = Counter()
    counts["session attendances"] = SessionAttendance.objects.filter(
        person=person
    ).update(**emptied_attendance_content())
    # Sessions only they attended: the whole record is theirs. A group session's
    # shared content waits for the nightly purge, when the others have gone too.
    others = SessionAttendance.objects.exclude(person=person).values("session_id")
    theirs = SupervisionSession.objects.filter(attendances__person=person).exclude(
        pk__in=others
    )
    theirs_ids = list(theirs.values_list("pk", flat=True))
    counts["sessions"] = SupervisionSession.objects.filter(pk__in=theirs_ids).update(
        **dict.fromkeys(CONTENT_FIELDS, "")
    )
    # A cancelled session must say why (a constraint): the why goes, not the fact.
    SupervisionSession.objects.filter(
        pk__in=theirs_ids, state=SupervisionSession.State.CANCELLED
    ).update(cancelled_reason="Erased")
    SupervisionSession.objects.filter(
        pk__in=theirs_ids, content_purged_on__isnull=True
    ).update(content_purged_on=as_of)
    counts["session versions"], _ = SessionVersion.objects.filter(
        session_id__in=theirs_ids
    ).delete()
    counts["actions"] = SessionAction.objects.filter(owner=person).update(
        description=""
    )
    counts["check-ins before a session"], _ = PreSessionCheckIn.objects.filter(
        person=person
    ).delete()
    counts["sealed notes"], _ = SealedNote.objects.filter(supervisee=person).delete()
    counts["access log"], _ = AccessEvent.objects.filter(person=person).delete()
    counts["bookings"], _ = SessionBooking.objects.filter(supervisee=person).delete()
    counts["agreements"] = SupervisionAgreement.objects.filter(
        supervisee=person
    ).update(frequency="", place="", confidentiality="", missed_sessions="")
    counts["incidents"] = CriticalIncident.objects.filter(person=person).update(
        case_reference=""
    )
    return counts


def _erase_notifications(person: StaffProfile, names: list[str]) -> Counter[str]:
    from notifications.models import Notification, NotificationPreference

    counts: Counter[str] = Counter()
    counts["notifications"], _ = Notification.objects.filter(
        Q(recipient_id=person.user_id) | Q(subject_person=person)
    ).delete()
    # Digests to others may name them among several people: the name goes.
    counts["names in others' notifications"] = _replace_everywhere(
        Notification, ("subject", "body_text", "body_html"), names, person
    )
    NotificationPreference.objects.filter(user_id=person.user_id).delete()
    return counts


def _erase_account(person: StaffProfile) -> Counter[str]:
    from accounts.leavers import end_access
    from accounts.models import Invitation

    user = person.user
    end_access(users=[user])
    counts: Counter[str] = Counter()
    counts["invitations"], _ = Invitation.objects.filter(user=user).delete()
    for label in (
        "accounts.Passkey",
        "accounts.ApiToken",
        "otp_totp.TOTPDevice",
        "otp_static.StaticDevice",
        "authtoken.Token",
        "wagtailusers.UserProfile",
    ):
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        deleted, _ = model._default_manager.filter(user=user).delete()
        counts["sign-in records"] += deleted
    user.first_name = ERASED_FIRST_NAME
    user.last_name = f"person {person.pk}"
    user.username = f"erased-{user.pk}"
    user.email = ""
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    counts["accounts"] += 1
    return counts
