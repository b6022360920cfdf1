"""The notification outbox and the record of each daily sweep.

A :class:`Notification` row is written in the same transaction as the change it
reports, so it exists exactly when the change does; the relay task delivers it later.
Its unique key (recipient, kind, person, date) makes a repeated sweep, a retried
chunk or a second beat tick write nothing new.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


class NotificationKind(models.TextChoices):
    """What a notification is about. Each kind has its three templates under
    ``templates/notifications/email/``: ``<kind>_subject.txt``, ``.txt``, ``.html``."""

    TRAINING_OVERDUE = "training_overdue", "Training overdue"
    # The first reminder, sent 30 days or fewer before the deadline, and the last,
    # 7 days or fewer before: each says the real number of days left.
    TRAINING_REMINDER_30 = "training_reminder_30", "Training due within 30 days"
    TRAINING_REMINDER_7 = "training_reminder_7", "Training due within 7 days"
    SUPERVISION_DUE_SOON = "supervision_due_soon", "Supervision due soon"
    SUPERVISION_OVERDUE = "supervision_overdue", "Supervision overdue"
    SUPERVISION_ESCALATED = "supervision_escalated", "Supervision escalated"
    SUPERVISION_ESCALATED_TWICE = (
        "supervision_escalated_twice",
        "Supervision escalated a second time",
    )
    WEEKLY_DIGEST = "weekly_digest", "Weekly summary"
    # One email a day gathering the messages about other people held for it.
    DAILY_DIGEST = "daily_digest", "Daily summary"
    TRAINING_COMPLETED = "training_completed", "Training completed"
    TRAINING_CHANGED = "training_changed", "Training changed: renew it"
    SESSION_READY = "session_ready", "Supervision record ready"
    INVITATION = "invitation", "Invitation to set a password"
    PASSWORD_RESET = "password_reset", "Reset your password"
    # One kind for every control flag; ``reference`` names the flag's kind.
    SUPERVISION_CHECK = "supervision_check", "Supervision needs attention"
    SESSION_BOOKED = "session_booked", "Supervision session booked"
    BOOKING_CANCELLED = "booking_cancelled", "Supervision session cancelled"
    BOOKING_REMINDER = "booking_reminder", "Supervision session tomorrow"


class NotificationAttachment(models.Model):
    """A file sent with a notification's email (a calendar invitation, say).

    Written with its notification, in the same transaction; the relay attaches it.
    Like the notification's text, it never carries supervision content.
    """

    notification = models.ForeignKey(
        "Notification", on_delete=models.CASCADE, related_name="attachments"
    )
    filename = models.CharField(max_length=100)
    content_type = models.CharField(max_length=100)
    content = models.BinaryField()

    class Meta:
        ordering = ["notification", "pk"]

    def __str__(self) -> str:
        return self.filename


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Waiting to send"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Could not be sent"
    # Not emailed alone: waiting for the recipient's daily summary, then sent in it.
    HELD = "held", "Waiting for the daily summary"
    IN_DIGEST = "in_digest", "Sent in the daily summary"


class EmailFrequency(models.TextChoices):
    """How someone wants the messages about other people (supervisees, staff)."""

    DAILY = "daily", "One summary email a day"
    IMMEDIATE = "immediate", "An email for each message, as it happens"


UNDELIVERED = (NotificationStatus.PENDING, NotificationStatus.SENDING)


class NotificationQuerySet(models.QuerySet["Notification"]):
    def for_recipient(self, user: models.Model) -> NotificationQuerySet:
        """Keep the notifications addressed to this user."""
        return self.filter(recipient=user)

    def unread(self) -> NotificationQuerySet:
        """Keep the notifications the recipient has not yet seen on the site."""
        return self.filter(read_at__isnull=True)

    def in_inbox(self) -> NotificationQuerySet:
        """Leave out daily summaries (their messages are in the inbox one by one) and
        password reset links (a way in belongs in the person's email only)."""
        return self.exclude(
            kind__in=[NotificationKind.DAILY_DIGEST, NotificationKind.PASSWORD_RESET]
        )

    def undelivered(self) -> NotificationQuerySet:
        """Keep the rows still waiting for the relay (pending or mid-send)."""
        return self.filter(status__in=UNDELIVERED)

    def due(self, *, now: datetime) -> NotificationQuerySet:
        """Keep the rows the relay should claim at ``now``.

        A pending row whose next attempt has come, or a sending row whose lease ran
        out (its relay died): only an expired lease is ever taken over.
        """
        return self.filter(
            Q(status=NotificationStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=NotificationStatus.SENDING, lease_until__lte=now)
        )


class Notification(models.Model):
    """One message to one person: shown on the site and sent by email once."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(max_length=40, choices=NotificationKind.choices)
    subject_person = models.ForeignKey(
        "workforce.StaffProfile",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="The person the notification is about, if any.",
    )
    key_date = models.DateField(
        help_text="The deadline or date the notification is about."
    )
    # What the notification is about when a person can get several of one kind on
    # one date (e.g. "completion:42"); blank for the sweep's kinds, which are once a
    # deadline. Part of the unique key.
    reference = models.CharField(max_length=40, blank=True, default="")
    subject = models.CharField(max_length=200)
    body_text = models.TextField()
    body_html = models.TextField()
    status = models.CharField(
        max_length=10,
        choices=NotificationStatus.choices,
        default=NotificationStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # The daily summary that carried this message (status in_digest), if any.
    digest = models.ForeignKey(
        "self",
        # A summary cannot be deleted alone, only with the messages it carried.
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="digested",
    )

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Coalesce, not nulls_distinct=False: SQLite has no NULLS NOT DISTINCT, and
            # a notification about no one must still be sent only once.
            models.UniqueConstraint(
                "recipient",
                "kind",
                Coalesce(
                    "subject_person", Value(0), output_field=models.BigIntegerField()
                ),
                "key_date",
                "reference",
                name="notification_once_per_recipient_kind_person_date_ref",
            ),
            models.CheckConstraint(
                condition=~Q(status="sending") | Q(lease_until__isnull=False),
                name="notification_sending_has_lease",
            ),
            models.CheckConstraint(
                condition=Q(status="in_digest", digest__isnull=False)
                | (~Q(status="in_digest") & Q(digest__isnull=True)),
                name="notification_in_digest_names_its_digest",
            ),
        ]
        indexes = [
            # The relay's poll and the health check's "oldest undelivered".
            models.Index(
                fields=["status", "next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="notification_undelivered_idx",
            ),
            models.Index(
                fields=["recipient", "-created_at"], name="notification_inbox_idx"
            ),
            # The daily summary's "what is held for whom".
            models.Index(
                fields=["recipient"],
                condition=Q(status="held"),
                name="notification_held_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient} ({self.key_date})"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class NotificationPreference(models.Model):
    """One person's choice of how to be emailed about other people. Without a row
    they get the daily summary; messages about themselves always go at once."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email_about_others = models.CharField(
        max_length=10, choices=EmailFrequency.choices, default=EmailFrequency.DAILY
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.user}: {self.get_email_about_others_display()}"


class SweepRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class SweepRun(models.Model):
    """One run of a scheduled sweep on one date: a second run of the same kind on
    the same date finds this row and does nothing (the constraint decides)."""

    date = models.DateField()
    kind = models.CharField(max_length=40, default="daily")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=SweepRunStatus.choices, default=SweepRunStatus.RUNNING
    )
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"
        constraints = [
            models.UniqueConstraint(
                fields=["date", "kind"], name="sweep_run_once_per_date_and_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} sweep on {self.date}: {self.status}"


class SweepChunk(models.Model):
    """One bounded slice of a daily sweep: the people with ids in [lo, hi].

    ``done_at`` is set in the same transaction as the chunk's changes, so a chunk
    whose worker died has no ``done_at`` and nothing committed: it simply runs again.
    """

    date = models.DateField()
    lo = models.BigIntegerField()
    hi = models.BigIntegerField()
    done_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["date", "lo"]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "lo"], name="sweep_chunk_once_per_date_and_start"
            ),
            models.CheckConstraint(
                condition=Q(lo__lte=models.F("hi")), name="sweep_chunk_lo_not_after_hi"
            ),
        ]

    def __str__(self) -> str:
        state = "done" if self.done_at else "to do"
        return f"Sweep of {self.date}, people {self.lo}-{self.hi}: {state}"


class FlagKind(models.TextChoices):
    TRAINING = "training", "Training"
    SUPERVISION = "supervision", "Supervision"
    # The controls beside the ladder (``supervision.controls``).
    NO_BOOKING = "no_booking", "No next session booked"
    DRAFT = "draft", "Session record not finalised"
    AGREEMENT = "agreement", "Supervision agreement missing or due for review"
    REGISTRATION = "registration", "Supervisor not a registered social worker"
    DEBRIEF = "debrief", "Debrief after an incident overdue"
    UNANNOUNCED = "unannounced", "Unannounced visit to a foster carer due"
    REBOOKING = "rebooking", "Cancelled session with no new date"


class FlagLevel(models.TextChoices):
    OVERDUE = "overdue", "Overdue"
    ESCALATED = "escalated", "Escalated"
    ESCALATED_TWICE = "escalated_twice", "Escalated twice"


class FlagQuerySet(models.QuerySet["Flag"]):
    def for_user(self, user: User | AnonymousUser) -> FlagQuerySet:
        """Keep flags on people this user may see by name, except a foster carer's
        own unannounced-visit flag, which would tell them the visit is coming."""
        from workforce.models import StaffProfile
        from workforce.scoping import own_profile

        flags = self.filter(person__in=StaffProfile.objects.for_user(user))
        profile = own_profile(user)
        if profile is None:
            return flags
        return flags.exclude(kind=FlagKind.UNANNOUNCED, person=profile)

    def open(self) -> FlagQuerySet:
        """Keep flags not yet closed."""
        return self.filter(closed_on__isnull=True)

    def escalated(self) -> FlagQuerySet:
        """Keep flags escalated at least once."""
        return self.filter(level__in=[FlagLevel.ESCALATED, FlagLevel.ESCALATED_TWICE])


class Flag(models.Model):
    """Someone is overdue: opened by the event that made them so (or the daily sweep,
    which repairs drift), escalated, closed when back in date. Training flags name
    the requirement; other kinds do not. Kinds come from ``sweep.FLAG_SOURCES``."""

    person = models.ForeignKey(
        "workforce.StaffProfile", on_delete=models.CASCADE, related_name="flags"
    )
    kind = models.CharField(max_length=12, choices=FlagKind.choices)
    requirement = models.ForeignKey(
        "learning.Requirement",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="flags",
    )
    level = models.CharField(
        max_length=16, choices=FlagLevel.choices, default=FlagLevel.OVERDUE
    )
    deadline = models.DateField(help_text="The date the person became due.")
    opened_on = models.DateField()
    escalated_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    # The level people have been told of (blank: not yet). Events open, raise and
    # close flags at once; the daily sweep writes the messages for what they have
    # not yet been told, so one day's changes reach them once, at 05:30.
    notified_level = models.CharField(
        max_length=16, choices=FlagLevel.choices, blank=True, default=""
    )

    objects = FlagQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_on", "-pk"]
        constraints = [
            # One open flag per person, kind and requirement. Coalesce so that the
            # supervision flag (no requirement) dedupes too, on SQLite as well.
            models.UniqueConstraint(
                "person",
                "kind",
                Coalesce(
                    "requirement", Value(0), output_field=models.BigIntegerField()
                ),
                condition=Q(closed_on__isnull=True),
                name="flag_one_open_per_person_kind_requirement",
            ),
            models.CheckConstraint(
                condition=Q(kind="training", requirement__isnull=False)
                | (~Q(kind="training") & Q(requirement__isnull=True)),
                name="flag_requirement_only_for_training",
            ),
        ]
        indexes = [
            models.Index(
                fields=["person"],
                condition=Q(closed_on__isnull=True),
                name="flag_open_by_person_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_level_display().lower()}"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None
