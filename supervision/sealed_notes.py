"""Sealed notes: the reads and writes of the confidential record between a
supervisor and one supervisee (``SealedNote``).

Who may read or change one is decided by ``SealedNote.objects.for_user`` and
``writable_by`` alone. Each read and write leaves an audit entry (who and when, never
the text); a read by the supervisor also shows in the supervisee's access log.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts.models import User
from supervision.models import AccessEvent, SealedNote
from supervision.services import (
    NotAllowed,
    SupervisionError,
    lock_own_supervisee,
    log_access,
)
from workforce.audit import record_audit
from workforce.models import StaffProfile
from workforce.scoping import own_profile

TEXT_LIMIT = 10_000


def read_sealed_note(*, by: User, note_id: int) -> SealedNote:
    """Return a sealed note ``by`` may read, logging the read; else ``DoesNotExist``."""
    note = (
        SealedNote.objects.for_user(by)
        .select_related("supervisor__user", "supervisee__user")
        .get(pk=note_id)
    )
    record_audit(
        actor=by,
        action="sustain.sealed_note.read",
        instance=note,
        data={"supervisee": note.supervisee_id},
    )
    log_access(
        user=by,
        session=None,
        person_ids=[note.supervisee_id],
        action=AccessEvent.Action.READ_SEALED_NOTE,
    )
    return note


def note_for_supervisee(*, by: User, supervisee_id: int) -> SealedNote | None:
    """Return the note ``by`` keeps with a person they supervise now (None if none
    yet), logging the read; anyone else gets ``NotAllowed``."""
    supervisor = own_profile(by)
    if (
        supervisor is None
        or not StaffProfile.objects.filter(
            pk=supervisee_id, supervisor=supervisor
        ).exists()
    ):
        raise NotAllowed("Only the person's supervisor keeps a sealed note with them.")
    note_id = (
        SealedNote.objects.writable_by(by)
        .filter(supervisee_id=supervisee_id)
        .values_list("pk", flat=True)
        .first()
    )
    return None if note_id is None else read_sealed_note(by=by, note_id=note_id)


@transaction.atomic
def write_sealed_note(*, by: User, supervisee_id: int, text: str) -> SealedNote:
    """Write (or rewrite) the sealed note ``by`` keeps with a person they supervise."""
    text = text.strip()
    if not text:
        raise SupervisionError("Write the note, or leave the page to keep it as it is.")
    if len(text) > TEXT_LIMIT:
        raise SupervisionError(f"Keep the note to {TEXT_LIMIT:,} characters.")
    supervisee, supervisor = lock_own_supervisee(
        by=by,
        supervisee_id=supervisee_id,
        refusal="Only the person's supervisor can write a sealed note.",
    )
    note = SealedNote.objects.writable_by(by).filter(supervisee=supervisee).first()
    if note is None:
        try:
            with transaction.atomic():
                note = SealedNote.objects.create(
                    supervisor=supervisor, supervisee=supervisee, text=text
                )
        except IntegrityError:  # a second tab created it first: write to that one
            note = SealedNote.objects.get(supervisor=supervisor, supervisee=supervisee)
            note.text = text
            note.save(update_fields=["text", "updated_at"])
    else:
        note.text = text
        note.save(update_fields=["text", "updated_at"])
    record_audit(
        actor=by,
        action="sustain.sealed_note.write",
        instance=note,
        data={"supervisee": supervisee.pk},
    )
    return note
