from datetime import UTC, date, datetime, timedelta

import factory

from notifications.models import (
    Notification,
    NotificationKind,
    NotificationStatus,
    SweepRun,
    SweepRunStatus,
)
from tests.factories.workforce import UserFactory

CREATED = datetime(2026, 3, 15, 6, 0, tzinfo=UTC)


class NotificationFactory(factory.django.DjangoModelFactory):
    """A pending notification already in the outbox (rendered text made up)."""

    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = NotificationKind.TRAINING_OVERDUE
    subject_person = None
    key_date = factory.Sequence(lambda n: date(2026, 1, 1) + timedelta(n))
    subject = "Your training is overdue"
    body_text = "Your training was due and is now overdue.\n"
    body_html = "<p>Your training was due and is now overdue.</p>"
    status = NotificationStatus.PENDING
    created_at = CREATED
    next_attempt_at = CREATED


class SweepRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SweepRun

    date = date(2026, 3, 15)
    kind = "daily"
    started_at = CREATED
    finished_at = factory.LazyAttribute(
        lambda run: run.started_at + timedelta(seconds=42)
    )
    status = SweepRunStatus.SUCCEEDED
    counts = factory.LazyFunction(lambda: {"flags_opened": 3, "notifications": 5})
