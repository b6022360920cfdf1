"""Fourteen months of daily sweeps: every deadline gets its reminders, an
extension's deadline included, and each reminder says the real number of days."""

from datetime import date, timedelta

import pytest

from learning.models import TrainingStatus
from learning.rules import ExceptionKind
from learning.services import record_exception
from notifications.models import Notification, NotificationKind
from notifications.sweep import REMINDER_7_DAYS, REMINDER_30_DAYS, run_daily_sweep
from tests.factories.learning import CompletionFactory
from tests.notifications.sweep_world import build_world

pytestmark = pytest.mark.django_db

START = date(2026, 1, 5)
DAYS = 425  # fourteen months


def test_every_deadline_an_extension_included_gets_both_reminders():
    world = build_world()
    module = world.requirement.module
    prompt = world.trainee(deadline=START + timedelta(45))  # completes 3 days early
    extended = world.trainee(deadline=START + timedelta(20))  # extended, then done
    late = world.trainee(deadline=START + timedelta(100))  # never completes
    extension_until = START + timedelta(20 + 50)

    # (person id, deadline) -> the first day it was seen as a coming deadline.
    seen: dict[tuple[int, date], date] = {}
    for offset in range(-1, DAYS):
        day = START + timedelta(offset)
        if day == START + timedelta(15):
            record_exception(
                person=extended,
                requirement=world.requirement,
                kind=ExceptionKind.EXTENSION,
                reason="Long illness",
                until=extension_until,
                recorded_by=world.provider_manager.user,
                as_of=day,
            )
        for person in (prompt, extended):
            row = TrainingStatus.objects.filter(person=person).first()
            if row is not None and row.deadline and (row.deadline - day).days == 3:
                CompletionFactory(person=person, module=module, completed_on=day)
        run_daily_sweep(as_of=day)
        for person_id, deadline in TrainingStatus.objects.filter(
            deadline__gt=day
        ).values_list("person_id", "deadline"):
            seen.setdefault((person_id, deadline), day)

    end = START + timedelta(DAYS - 1)
    assert (end - START).days >= 14 * 30
    reminders = {
        (person_id, kind, key_date): subject
        for person_id, kind, key_date, subject in Notification.objects.filter(
            kind__in=[
                NotificationKind.TRAINING_REMINDER_30,
                NotificationKind.TRAINING_REMINDER_7,
            ]
        ).values_list("subject_person_id", "kind", "key_date", "subject")
    }
    checked = 0
    for (person_id, deadline), first_seen in seen.items():
        if deadline > end:
            continue
        lead = (deadline - first_seen).days
        if lead > REMINDER_7_DAYS:
            first = (person_id, NotificationKind.TRAINING_REMINDER_30, deadline)
            subject = reminders[first]
            days = min(lead, REMINDER_30_DAYS)
            assert f"due in {days} days" in subject, subject
        assert (person_id, NotificationKind.TRAINING_REMINDER_7, deadline) in reminders
        checked += 1

    assert (extended.pk, extension_until) in seen, "the extension's deadline was seen"
    assert (
        extended.pk,
        NotificationKind.TRAINING_REMINDER_30,
        extension_until,
    ) in reminders
    assert (extended.pk, NotificationKind.TRAINING_REMINDER_7, extension_until) in (
        reminders
    )
    # Two cycles of the prompt one, the extension and its renewal, the late one.
    assert checked >= 5
    assert Notification.objects.filter(
        subject_person=late, kind=NotificationKind.TRAINING_OVERDUE
    ).exists()
