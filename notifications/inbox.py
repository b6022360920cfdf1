"""What the notifications page shows: each notification as a short message with
a link on this site, never the email's text (no greeting, no bare addresses, no
"see all your notifications at").

A message is worked out from the row's kind, person, date and reference when the
page is shown, so "due in 8 days" is true on the day it is read, and a notice the
person is no longer behind on says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.urls import reverse

from accounts.roles import Role, has_role
from learning.models import TrainingStatus
from notifications.models import Notification, NotificationKind
from supervision.models import SupervisionStatus

TRAINING_DEADLINES = {
    NotificationKind.TRAINING_OVERDUE,
    NotificationKind.TRAINING_REMINDER_30,
    NotificationKind.TRAINING_REMINDER_7,
}
SUPERVISION_DEADLINES = {
    NotificationKind.SUPERVISION_DUE_SOON,
    NotificationKind.SUPERVISION_OVERDUE,
    NotificationKind.SUPERVISION_ESCALATED,
    NotificationKind.SUPERVISION_ESCALATED_TWICE,
}


@dataclass(frozen=True)
class InboxItem:
    """One notification as the page shows it."""

    notification: Notification
    text: str
    link_url: str
    link_text: str
    resolved: bool = False

    @property
    def pk(self) -> int:
        return self.notification.pk

    @property
    def is_unread(self) -> bool:
        return self.notification.is_unread


def inbox_items(
    notifications: Iterable[Notification], *, viewer: object, as_of: date
) -> list[InboxItem]:
    """Turn a page of notifications into messages, with two queries at most."""
    rows = list(notifications)
    stale = _resolved(rows)
    return [
        _item(row, viewer=viewer, as_of=as_of, resolved=row.pk in stale) for row in rows
    ]


def _resolved(rows: list[Notification]) -> set[int]:
    """The deadline notices whose deadline is no longer the person's deadline:
    they completed, were supervised or were excused since."""
    training = {
        (row.subject_person_id, row.key_date)
        for row in rows
        if row.kind in TRAINING_DEADLINES
    }
    supervision = {
        (row.subject_person_id, row.key_date)
        for row in rows
        if row.kind in SUPERVISION_DEADLINES
    }
    current_training = (
        set(
            TrainingStatus.objects.filter(
                person_id__in={person for person, _ in training},
                deadline__in={day for _, day in training},
            ).values_list("person_id", "deadline")
        )
        if training
        else set()
    )
    current_supervision = (
        set(
            SupervisionStatus.objects.filter(
                person_id__in={person for person, _ in supervision}
            ).values_list("person_id", "due_on")
        )
        if supervision
        else set()
    )
    stale = set()
    for row in rows:
        key = (row.subject_person_id, row.key_date)
        if row.kind in TRAINING_DEADLINES and key not in current_training:
            stale.add(row.pk)
        if row.kind in SUPERVISION_DEADLINES and key not in current_supervision:
            stale.add(row.pk)
    return stale


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _days(count: int) -> str:
    return f"{count} day{'' if count == 1 else 's'}"


def _item(
    row: Notification, *, viewer: object, as_of: date, resolved: bool
) -> InboxItem:
    kind = row.kind
    person = row.subject_person
    about_self = person is None or person.user_id == row.recipient_id
    name = "" if person is None else person.full_name
    person_url = (
        reverse("learning:person_training", args=[person.pk]) if person else "/"
    )
    if kind in TRAINING_DEADLINES:
        what = _subject_topic(row)
        whose = "Your " + what if about_self else f"{name}'s {what}"
        if resolved:
            text = f"{whose} was due by {_day(row.key_date)}. This is now done."
        elif row.key_date > as_of:
            left = (row.key_date - as_of).days
            text = f"{whose} is due in {_days(left)}, by {_day(row.key_date)}."
        else:
            text = f"{whose} has been overdue since {_day(row.key_date)}."
        if about_self:
            return InboxItem(
                row,
                text,
                reverse("learning:my_training"),
                "Go to your training",
                resolved,
            )
        return InboxItem(row, text, person_url, f"See {name}'s training", resolved)
    if kind in SUPERVISION_DEADLINES:
        whose = "Your supervision" if about_self else f"Supervision for {name}"
        if resolved:
            text = f"{whose} was due by {_day(row.key_date)}. It has been held since."
        elif kind == NotificationKind.SUPERVISION_DUE_SOON:
            text = f"{whose} is due by {_day(row.key_date)}."
        elif kind == NotificationKind.SUPERVISION_OVERDUE:
            text = f"{whose} has been overdue since {_day(row.key_date)}."
        elif kind == NotificationKind.SUPERVISION_ESCALATED:
            text = f"{whose}, due by {_day(row.key_date)}, has been escalated to you."
        else:
            text = (
                f"{whose}, due by {_day(row.key_date)}, has been escalated a "
                "second time."
            )
        if about_self:
            return InboxItem(
                row,
                text,
                reverse("supervision:my_supervision"),
                "Go to your supervision",
                resolved,
            )
        if has_role(viewer, Role.PROVIDER_MANAGER, Role.PLATFORM_ADMIN):  # type: ignore[arg-type]
            return InboxItem(
                row,
                text,
                reverse("supervision:manager_view"),
                "See supervision in your organisation",
                resolved,
            )
        return InboxItem(
            row,
            text,
            reverse("supervision:supervisor_dashboard"),
            "See your supervisees",
            resolved,
        )
    if kind == NotificationKind.TRAINING_COMPLETED:
        ref = _reference_id(row, "completion")
        url = (
            reverse("learning:completion_detail", args=[ref])
            if ref
            else reverse("learning:my_training")
        )
        return InboxItem(
            row, f"{row.subject} on {_day(row.key_date)}.", url, "See your certificate"
        )
    if kind == NotificationKind.SESSION_READY:
        ref = _reference_id(row, "session")
        url = (
            reverse("supervision:session_detail", args=[ref])
            if ref
            else reverse("supervision:my_supervision")
        )
        return InboxItem(
            row,
            f"The record of your supervision on {_day(row.key_date)} is ready to read.",
            url,
            "Read the record",
        )
    if kind in (NotificationKind.WEEKLY_DIGEST, "daily_digest"):
        return InboxItem(
            row,
            f"{row.subject}, {_day(row.key_date)}.",
            reverse("notifications:flags"),
            "See the flags on your people",
        )
    return InboxItem(row, row.subject + ".", "/", "Go to your home page")


def _subject_topic(row: Notification) -> str:
    """The training named in the subject ("training on X and Y"), or "training"."""
    subject = row.subject
    start = subject.find("training on ")
    if start == -1:
        return "training"
    topic = subject[start:]
    for ending in (" is overdue", " is due"):
        cut = topic.find(ending)
        if cut != -1:
            topic = topic[:cut]
    return topic


def _reference_id(row: Notification, prefix: str) -> int | None:
    head, _, tail = row.reference.partition(":")
    return int(tail) if head == prefix and tail.isdigit() else None
