"""Write notifications into the outbox, and deliver them: the outbox and its relay.

Callers write a notification with :func:`enqueue` (or :func:`enqueue_many`) inside
the transaction that makes the change it reports, so both commit or neither does.
Nothing here talks to Redis: the relay, :func:`deliver_pending`, runs every minute
from beat (or ``run_scheduler`` in embedded mode) and sends what is due.

A notification's text never carries supervision content: the templates get names,
dates and links, and the caller's ``context`` must hold nothing more.
"""

from __future__ import annotations

import contextlib
import logging
import random
import smtplib
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.template.loader import get_template
from django.utils import timezone

from config.links import site_url
from notifications.links import (
    SUPERVISION_KINDS,
    TRAINING_KINDS,
    notifications_link,
)
from notifications.models import (
    EmailFrequency,
    Notification,
    NotificationAttachment,
    NotificationKind,
    NotificationPreference,
    NotificationStatus,
)
from workforce.audit import record_audit

if TYPE_CHECKING:
    from accounts.models import User
    from workforce.models import StaffProfile

logger = logging.getLogger(__name__)

# A relay holds its claimed rows this long. It is longer than the relay task's hard
# time limit (300 s), so a live relay always finishes before anyone may take over.
DEFAULT_LEASE_SECONDS = 600
MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 600
# Errors a later attempt may cure: the mail server refusing or being unreachable.
# What _send_one returns for a row it found taken over (not counted as anything).
SKIPPED = "skipped"
RETRYABLE_ERRORS: tuple[type[BaseException], ...] = (smtplib.SMTPException, OSError)
# The kinds a daily summary may carry when they are about someone else: the sweep's
# deadline messages. Messages about the reader themselves always go at once.
DIGESTIBLE_KINDS = TRAINING_KINDS | SUPERVISION_KINDS


class NotificationError(Exception):
    """A notification cannot be written as asked."""


@dataclass(frozen=True)
class Attachment:
    """A file to send with a notification: its name, MIME type and bytes."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class NotificationRequest:
    """One notification to write, for :func:`enqueue_many`."""

    recipient: User
    kind: str
    key_date: date
    subject_person: StaffProfile | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    reference: str = ""
    attachments: tuple[Attachment, ...] = ()
    # The message's link (its context's ``url``), worked out only if the row is
    # new: the sweep asks again each day for reminders already in the outbox.
    link: Callable[[], str] | None = None


@dataclass(frozen=True)
class DeliveryResult:
    """What one relay run did: emails sent, given up on, and put back for later."""

    sent: int = 0
    failed: int = 0
    retried: int = 0


def enqueue(
    *,
    recipient: User,
    kind: str,
    subject_person: StaffProfile | None = None,
    key_date: date,
    context: Mapping[str, Any],
    reference: str = "",
    attachments: Iterable[Attachment] = (),
    now: datetime | None = None,
) -> Notification | None:
    """Write one notification to the outbox; return None if it was already there.

    Call it inside the transaction that makes the change: the insert runs in a
    savepoint, so a duplicate leaves the caller's transaction usable.
    """
    request = NotificationRequest(
        recipient=recipient,
        kind=kind,
        subject_person=subject_person,
        key_date=key_date,
        context=context,
        reference=reference,
    )
    row = _build(
        request, now=now or timezone.now(), held=bool(_held_for_digest([request]))
    )
    try:
        with transaction.atomic():
            row.save(force_insert=True)
            NotificationAttachment.objects.bulk_create(
                NotificationAttachment(
                    notification=row,
                    filename=attachment.filename,
                    content_type=attachment.content_type,
                    content=attachment.content,
                )
                for attachment in attachments
            )
    except IntegrityError:
        if _exists(row):
            return None
        raise
    return row


def enqueue_many(
    *, requests: Iterable[NotificationRequest], now: datetime | None = None
) -> int:
    """Write many notifications in bulk; return how many were new.

    Rows already in the outbox are skipped first; the unique constraint still
    decides if a concurrent writer adds the same row meanwhile (then the count
    may include it, but nothing is written twice).
    """
    now = now or timezone.now()
    wanted = {_request_key(request): request for request in requests}
    if not wanted:
        return 0
    if any(request.attachments for request in wanted.values()):
        raise NotificationError("write a notification with attachments by enqueue")
    existing = set(
        Notification.objects.filter(
            recipient_id__in={key[0] for key in wanted},
            kind__in={key[1] for key in wanted},
            key_date__in={key[3] for key in wanted},
        ).values_list(
            "recipient_id", "kind", "subject_person_id", "key_date", "reference"
        )
    )
    # Render only what is new: a second sweep on the same day renders nothing.
    fresh = [request for key, request in wanted.items() if key not in existing]
    held = _held_for_digest(fresh)
    templates = _Templates()
    new_rows = [
        _build(
            request, now=now, held=_request_key(request) in held, templates=templates
        )
        for request in fresh
    ]
    Notification.objects.bulk_create(new_rows, batch_size=500, ignore_conflicts=True)
    return len(new_rows)


def deliver_pending(
    *,
    now: datetime,
    batch_size: int = 100,
    max_seconds: float | None = None,
    lease_seconds: int | None = None,
) -> DeliveryResult:
    """Send the notifications due at ``now`` and record the result.

    Delivery is at least once: a relay killed after the mail server accepted a
    message but before the row was marked sent leaves it to be sent again when its
    lease runs out. Duplicates are made rare, not impossible: each row is re-read
    just before sending (:func:`_still_ours`), and every attempt carries the same
    Message-ID, so mail systems that de-duplicate drop the second copy.

    Claims up to ``batch_size`` due rows and leases them to this run (committed
    before any email goes out), then sends each and marks it sent. A mail error puts
    the row back with exponential backoff and jitter; after ``MAX_ATTEMPTS`` it is
    marked failed. Two relays never claim the same row: PostgreSQL skips rows another
    relay has locked, and SQLite's IMMEDIATE transactions run the claims one at a time.

    With ``max_seconds``, it keeps claiming batches until the outbox has nothing due
    or that many seconds have passed, so a large backlog clears in one tick.
    """
    if lease_seconds is None:
        lease_seconds = getattr(
            settings, "NOTIFICATION_LEASE_SECONDS", DEFAULT_LEASE_SECONDS
        )
    lease_until = now + timedelta(seconds=lease_seconds)
    started = time.monotonic()
    deadline = started + max_seconds if max_seconds is not None else None
    sent = failed = retried = 0
    while True:
        claimed = _claim(now=now, batch_size=batch_size, lease_until=lease_until)
        mail = get_connection(fail_silently=False)
        try:
            for row in claimed:
                # ``now`` may be a fixed time; the lease is judged on it plus the
                # time this run has taken so far.
                elapsed = timedelta(seconds=time.monotonic() - started)
                outcome = _send_one(row, mail=mail, now=now, at=now + elapsed)
                sent += outcome == NotificationStatus.SENT
                failed += outcome == NotificationStatus.FAILED
                retried += outcome == NotificationStatus.PENDING
        finally:
            _close_quietly(mail)
        # Rows put back for a retry are due after ``now``, so this loop ends.
        if len(claimed) < batch_size or deadline is None:
            break
        if time.monotonic() >= deadline:
            break
    return DeliveryResult(sent=sent, failed=failed, retried=retried)


def mark_read(*, user: User, notification_ids: Iterable[int], now: datetime) -> int:
    """Mark these notifications of this user as read; return how many were unread."""
    return (
        Notification.objects.for_recipient(user)
        .unread()
        .filter(pk__in=list(notification_ids))
        .update(read_at=now)
    )


def mark_all_read(*, user: User, now: datetime) -> int:
    """Mark every unread notification of this user as read; return how many."""
    return Notification.objects.for_recipient(user).unread().update(read_at=now)


def email_frequency(user: User) -> str:
    """How ``user`` wants to be emailed about other people (daily unless chosen)."""
    chosen = (
        NotificationPreference.objects.filter(user=user)
        .values_list("email_about_others", flat=True)
        .first()
    )
    return chosen or EmailFrequency.DAILY


def set_email_frequency(*, user: User, frequency: str, now: datetime) -> bool:
    """Record how ``user`` wants messages about other people; return whether it
    changed. Only messages written from now on follow the new choice."""
    if frequency not in EmailFrequency.values:
        raise NotificationError(f"unknown email frequency {frequency!r}")
    with transaction.atomic():
        preference, _ = (
            NotificationPreference.objects.select_for_update().get_or_create(
                user=user, defaults={"updated_at": now}
            )
        )
        changed = preference.email_about_others != frequency
        if changed:
            preference.email_about_others = frequency
            preference.updated_at = now
            preference.save(update_fields=["email_about_others", "updated_at"])
            record_audit(
                actor=user,
                action="sustain.notifications.email_frequency",
                instance=preference,
                summary="Emails about others: "
                + preference.get_email_about_others_display(),
            )
    return changed


def backoff_seconds(attempts: int, *, rng: random.Random | None = None) -> float:
    """Return how long to wait after the ``attempts``-th failed try.

    30 s doubling each time, capped at 10 minutes, with "equal jitter": a random
    point in the upper half of the step, so retries spread out yet still grow.
    """
    step = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return step / 2 + (rng or random).uniform(0, step / 2)


# --- Internals ----------------------------------------------------------------------


def _about_someone_else(request: NotificationRequest) -> bool:
    person = request.subject_person
    return person is not None and person.user_id != request.recipient.pk


def _held_for_digest(
    requests: Iterable[NotificationRequest],
) -> set[tuple[int, str, int | None, date, str]]:
    """The keys of the requests to hold for their recipient's daily summary: the
    sweep's messages about someone else, unless the recipient chose each at once.
    One query, and none when no request could be held."""
    candidates = [
        request
        for request in requests
        if request.kind in DIGESTIBLE_KINDS and _about_someone_else(request)
    ]
    if not candidates:
        return set()
    immediate = set(
        NotificationPreference.objects.filter(
            user_id__in={request.recipient.pk for request in candidates},
            email_about_others=EmailFrequency.IMMEDIATE,
        ).values_list("user_id", flat=True)
    )
    return {
        _request_key(request)
        for request in candidates
        if request.recipient.pk not in immediate
    }


def _build(
    request: NotificationRequest,
    *,
    now: datetime,
    held: bool = False,
    templates: _Templates | None = None,
) -> Notification:
    if request.kind not in NotificationKind.values:
        raise NotificationError(f"unknown notification kind {request.kind!r}")
    templates = templates or _Templates()
    person = request.subject_person
    context = {
        **request.context,
        "recipient": request.recipient,
        "subject_person": person,
        "person_name": person.full_name if person else "",
        "about_self": person is None or person.user_id == request.recipient.pk,
        "key_date": request.key_date,
        **templates.links,
    }
    if request.link is not None:
        context["url"] = request.link()
    subject = templates.render(request.kind, "_subject.txt", context)
    return Notification(
        recipient=request.recipient,
        kind=request.kind,
        subject_person=person,
        key_date=request.key_date,
        reference=request.reference,
        subject=" ".join(subject.split())[:200],
        body_text=templates.render(request.kind, ".txt", context).strip() + "\n",
        body_html=templates.render(request.kind, ".html", context),
        status=NotificationStatus.HELD if held else NotificationStatus.PENDING,
        next_attempt_at=now,
        created_at=now,
    )


class _Templates:
    """The message templates and the site's fixed links, looked up once for a
    batch of messages rather than once per message (the go-live sweep writes
    over a hundred thousand)."""

    def __init__(self) -> None:
        self.links = {"site_url": site_url(), "notifications_url": notifications_link()}
        self._found: dict[str, Any] = {}

    def render(self, kind: str, suffix: str, context: dict[str, Any]) -> str:
        name = f"notifications/email/{kind}{suffix}"
        template = self._found.get(name)
        if template is None:
            template = self._found[name] = get_template(name)
        return template.render(context)


def _request_key(
    request: NotificationRequest,
) -> tuple[int, str, int | None, date, str]:
    person = request.subject_person
    return (
        request.recipient.pk,
        str(request.kind),
        person.pk if person else None,
        request.key_date,
        request.reference,
    )


def _exists(row: Notification) -> bool:
    return Notification.objects.filter(
        recipient_id=row.recipient_id,
        kind=row.kind,
        subject_person_id=row.subject_person_id,
        key_date=row.key_date,
        reference=row.reference,
    ).exists()


def _claim(
    *, now: datetime, batch_size: int, lease_until: datetime
) -> list[Notification]:
    with transaction.atomic():
        due = Notification.objects.due(now=now).order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return []
        Notification.objects.filter(pk__in=ids).update(
            status=NotificationStatus.SENDING,
            lease_until=lease_until,
            attempts=F("attempts") + 1,
        )
    return list(
        Notification.objects.filter(pk__in=ids)
        .select_related("recipient")
        .order_by("next_attempt_at", "pk")
    )


def _send_one(row: Notification, *, mail: Any, now: datetime, at: datetime) -> str:
    """Send one claimed row and record the outcome; return its new status."""
    address = row.recipient.email
    if not address:
        return _finish(row, status=NotificationStatus.FAILED, error="no email address")
    if not _still_ours(row, at=at):
        # Our lease ran out (a slow batch) and another relay took the row, or it was
        # sent meanwhile: sending now would be the duplicate.
        logger.warning("notification %s is no longer ours; not sending", row.pk)
        return SKIPPED
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body_text,
        to=[address],
        connection=mail,
        # The same Message-ID on every attempt lets mail systems drop a duplicate.
        headers={"Message-ID": message_id(row)},
    )
    message.attach_alternative(row.body_html, "text/html")
    for attachment in row.attachments.all():
        message.attach(
            attachment.filename, bytes(attachment.content), attachment.content_type
        )
    try:
        message.send()
    except RETRYABLE_ERRORS as error:
        _close_quietly(mail)  # a broken connection must not fail the next row too
        reason = type(error).__name__
        if row.attempts >= MAX_ATTEMPTS:
            logger.error("notification %s failed for good: %s", row.pk, reason)
            return _finish(row, status=NotificationStatus.FAILED, error=reason)
        retry_at = now + timedelta(seconds=backoff_seconds(row.attempts))
        logger.warning("notification %s will retry at %s: %s", row.pk, retry_at, reason)
        return _finish(
            row, status=NotificationStatus.PENDING, error=reason, retry_at=retry_at
        )
    return _finish(row, status=NotificationStatus.SENT, sent_at=now)


def message_id(row: Notification) -> str:
    """The row's Message-ID: the same on every attempt, unique to this site."""
    host = urlsplit(site_url()).hostname or "sustain"
    return f"<notification-{row.pk}@{host}>"


def _still_ours(row: Notification, *, at: datetime) -> bool:
    """Re-read the row just before sending: still claimed by this attempt, and its
    lease not run out ``at`` this moment."""
    return Notification.objects.filter(
        pk=row.pk,
        status=NotificationStatus.SENDING,
        attempts=row.attempts,
        lease_until__gt=at,
    ).exists()


def _finish(
    row: Notification,
    *,
    status: str,
    error: str = "",
    retry_at: datetime | None = None,
    sent_at: datetime | None = None,
) -> str:
    # Conditional on our own claim (status and attempt number): if our lease ran out
    # and another relay took the row over, that relay now owns the outcome.
    changes: dict[str, Any] = {
        "status": status,
        "lease_until": None,
        "last_error": error,
    }
    if retry_at is not None:
        changes["next_attempt_at"] = retry_at
    if sent_at is not None:
        changes["sent_at"] = sent_at
    updated = Notification.objects.filter(
        pk=row.pk, status=NotificationStatus.SENDING, attempts=row.attempts
    ).update(**changes)
    if not updated:
        logger.warning("notification %s was taken over by another relay", row.pk)
    return status


def _close_quietly(mail: Any) -> None:
    with contextlib.suppress(*RETRYABLE_ERRORS):
        mail.close()
