"""The daily summary: one email a day for each person with messages about others.

A supervisor or manager is told about their people by the daily sweep: reminders,
overdue notices and escalations, several a day on a bad day. Each of those rows is
written ``held`` (see ``services._held_for_digest``): it is in their notifications
page at once, but not emailed alone. When the day's sweep finishes,
:func:`send_daily_digests` writes one ``daily_digest`` row per person holding
messages, listing each of them once with its link, and marks them ``in_digest``
with a pointer to it, in the same transaction as the sweep's finish. So:

- the outbox's unique key (recipient, kind, date) lets a person have one summary a
  day, whatever runs twice: a second finish, a second beat, a re-queued chunk;
- a worker killed before the finish commits leaves the messages held, and the
  finish that does commit (the watchdog sees to it) gathers them;
- a message held after that day's summary went waits for the next day's.

People who chose "each at once" (``NotificationPreference``) get no summary: their
rows are never held.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from django.db import connection, transaction

from notifications.inbox import inbox_items
from notifications.links import LinkBook, digest_link
from notifications.models import Notification, NotificationKind, NotificationStatus
from notifications.services import enqueue


def send_daily_digests(*, as_of: date, now: datetime) -> int:
    """Gather every held message into its recipient's summary for ``as_of``;
    return how many summaries were written."""
    written = 0
    with transaction.atomic():
        held = Notification.objects.filter(status=NotificationStatus.HELD)
        if connection.features.has_select_for_update_skip_locked:
            # A message another transaction is still writing waits for tomorrow.
            held = held.select_for_update(skip_locked=True)
        ids = list(held.values_list("pk", flat=True))
        if not ids:
            return 0
        rows = (
            Notification.objects.filter(pk__in=ids)
            .select_related(
                "recipient", "subject_person__user", "subject_person__supervisor"
            )
            .order_by("recipient_id", "key_date", "kind", "pk")
        )
        by_recipient: dict[int, list[Notification]] = defaultdict(list)
        for row in rows:
            by_recipient[row.recipient_id].append(row)
        links = LinkBook(row.subject_person_id for row in rows if row.subject_person_id)
        for messages in by_recipient.values():
            recipient = messages[0].recipient
            items = [
                {
                    "text": item.text,
                    "url": links.link(
                        item.notification.kind,
                        recipient=recipient,
                        person=item.notification.subject_person,
                    ),
                }
                for item in inbox_items(messages, viewer=recipient, as_of=as_of)
            ]
            digest = enqueue(
                recipient=recipient,
                kind=NotificationKind.DAILY_DIGEST,
                key_date=as_of,
                context={
                    "items": items,
                    "url": digest_link(recipient, has_role=links.has_role),
                },
                now=now,
            )
            if digest is None:
                continue  # today's summary went already: these wait for tomorrow's
            Notification.objects.filter(
                pk__in=[message.pk for message in messages],
                status=NotificationStatus.HELD,
            ).update(status=NotificationStatus.IN_DIGEST, digest=digest)
            written += 1
    return written
