"""Write a notification when learning or supervision records something worth telling.

Each receiver runs inside the sender's transaction, so the outbox row commits or
rolls back with the completion or session it reports. The apps send plain signals
and never import this one; a duplicate (same recipient, kind, person and date) is
skipped by :func:`enqueue`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.dispatch import receiver
from django.utils import timezone

from config.links import absolute
from learning.events import (
    completion_recorded,
    module_version_required,
    training_status_synced,
)
from notifications.links import (
    booking_context,
    booking_readers,
    certificate_link,
    session_link,
)
from notifications.models import FlagKind, NotificationKind
from notifications.services import (
    Attachment,
    NotificationRequest,
    enqueue,
    enqueue_many,
)
from supervision.events import (
    booking_changed,
    session_finalised,
    supervision_status_synced,
)
from workforce.models import StaffProfile
from workforce.signals import roster_preview_requested

if TYPE_CHECKING:
    from learning.models import Completion, ModulePage
    from supervision.models import SessionBooking, SupervisionSession


@receiver(completion_recorded, dispatch_uid="notify_training_completed")
def notify_training_completed(
    sender: Any, *, completion: Completion, **kwargs: Any
) -> None:
    """Tell the learner they completed a module, with a link to their certificate.

    The completion date is the notification's ``key_date`` (the templates show it).
    """
    person = completion.person
    enqueue(
        recipient=person.user,
        kind=NotificationKind.TRAINING_COMPLETED,
        subject_person=person,
        key_date=completion.completed_on,
        reference=f"completion:{completion.pk}",
        context={
            "module_title": completion.module.title,
            "url": certificate_link(completion.verification_id),
        },
    )


@receiver(module_version_required, dispatch_uid="notify_training_changed")
def notify_training_changed(
    sender: Any,
    *,
    module: ModulePage,
    version: int,
    due_by: date,
    people: list[StaffProfile],
    **kwargs: Any,
) -> None:
    """Tell each learner whose completions are all older that the module changed.

    The message carries the editor's "what changed" note and the new due date.
    """
    url_parts = module.get_url_parts()
    url = absolute(url_parts[2] if url_parts else "/training/")
    enqueue_many(
        requests=[
            NotificationRequest(
                recipient=person.user,
                kind=NotificationKind.TRAINING_CHANGED,
                key_date=due_by,
                context={
                    "module_title": module.title,
                    "version": version,
                    "what_changed": module.what_changed,
                    "url": url,
                },
                reference=f"module-{module.pk}-v{version}",
            )
            for person in people
            if person.user_id is not None
        ]
    )


@receiver(session_finalised, dispatch_uid="notify_session_ready")
def notify_session_ready(
    sender: Any, *, session: SupervisionSession, person_ids: list[int], **kwargs: Any
) -> None:
    """Tell each supervisee the session record is ready: a name, a date and a link.

    Nothing from the session's content goes in; the session date is ``key_date``.
    """
    context = {
        "supervisor_name": session.supervisor.full_name,
        "url": session_link(session.pk),
    }
    people = StaffProfile.objects.filter(
        pk__in=person_ids, user__is_active=True
    ).select_related("user")
    for person in people:
        enqueue(
            recipient=person.user,
            kind=NotificationKind.SESSION_READY,
            subject_person=person,
            key_date=session.held_on,
            reference=f"session:{session.pk}",
            context=context,
        )


@receiver(training_status_synced, dispatch_uid="training_flags_follow")
def training_flags_follow(
    sender: Any, *, person_ids: list[int], as_of: date, **kwargs: Any
) -> None:
    """Open and close these people's training flags with their new status rows."""
    from notifications.sweep import refresh_flags

    refresh_flags(person_ids=person_ids, kinds=[FlagKind.TRAINING], as_of=as_of)


@receiver(supervision_status_synced, dispatch_uid="supervision_flags_follow")
def supervision_flags_follow(
    sender: Any, *, person_ids: list[int], as_of: date, **kwargs: Any
) -> None:
    """Open, raise and close these people's supervision flags with their new rows."""
    from notifications.sweep import refresh_flags

    refresh_flags(person_ids=person_ids, kinds=[FlagKind.SUPERVISION], as_of=as_of)


@receiver(roster_preview_requested, dispatch_uid="roster_preview_messages")
def roster_preview_messages(
    sender: Any, *, person_ids: list[int], as_of: date, **kwargs: Any
) -> dict[str, dict[str, Any]]:
    """Say what the next daily sweep would email about these people, by kind."""
    from notifications.sweep import next_sweep_day, preview_sweep

    sent, held = preview_sweep(person_ids=person_ids, as_of=next_sweep_day(as_of))
    return {
        "send": dict(sent),
        "hold": dict(held),
        "labels": {kind: str(label) for kind, label in NotificationKind.choices},
    }


@receiver(booking_changed, dispatch_uid="send_booking_invitation")
def send_booking_invitation(
    sender: Any,
    *,
    booking: SessionBooking,
    method: str,
    invitation: bytes,
    now: datetime | None = None,
    **kwargs: Any,
) -> None:
    """Send both people the booking's calendar invitation (or its cancellation).

    Each change is its own message (the reference carries the SEQUENCE), so a
    rebooking is sent even on the same day; the day of the session is ``key_date``.
    """
    kind = (
        NotificationKind.BOOKING_CANCELLED
        if method == "CANCEL"
        else NotificationKind.SESSION_BOOKED
    )
    attachment = Attachment(
        filename="invite.ics" if method != "CANCEL" else "cancel.ics",
        content_type=f"text/calendar; method={method}; charset=utf-8",
        content=invitation,
    )
    context = booking_context(booking)
    for person, url in booking_readers(booking):
        if not person.user.is_active:
            continue
        enqueue(
            recipient=person.user,
            kind=kind,
            subject_person=booking.supervisee,
            key_date=timezone.localtime(booking.starts_at).date(),
            reference=f"booking:{booking.pk}:{booking.sequence}",
            context={**context, "url": url},
            attachments=[attachment],
        )
    # A new date clears "no booking" and "cancelled with no new date" at once.
    from notifications.sweep import refresh_flags

    refresh_flags(
        person_ids=[booking.supervisee_id],
        kinds=[FlagKind.NO_BOOKING, FlagKind.REBOOKING],
        as_of=timezone.localtime(now).date() if now else timezone.localdate(),
    )
