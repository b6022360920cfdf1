"""The relay as a scheduled job: in embedded mode it runs without Redis."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from notifications.models import Notification
from notifications.tasks import deliver_pending_task
from tests.factories.notifications import NotificationFactory
from tests.notifications.sweep_world import build_world
from workforce.dates import today

pytestmark = pytest.mark.django_db


class TestDeliverPendingTask:
    def test_it_sends_what_is_due_and_reports_the_counts(self):
        NotificationFactory.create_batch(2, next_attempt_at=timezone.now())

        result = deliver_pending_task.apply(kwargs={"batch_size": 10}).get()

        assert result == {"sent": 2, "failed": 0, "retried": 0}
        assert len(mail.outbox) == 2

    def test_the_beat_schedule_runs_it_every_minute(self, settings):
        entry = settings.CELERY_BEAT_SCHEDULE["deliver-notifications"]

        assert entry["task"] == "notifications.tasks.deliver_pending_task"
        assert entry["schedule"] == 60.0


class TestEmbeddedScheduler:
    def test_run_scheduler_delivers_notifications_without_redis(self, settings):
        settings.CELERY_BROKER_URL = ""
        NotificationFactory(next_attempt_at=timezone.now())

        call_command("run_scheduler", "--once")

        assert Notification.objects.get().status == "sent"
        assert len(mail.outbox) == 1

    def test_the_catch_up_sends_what_todays_sweep_wrote(self, settings):
        # make run counts the emails once the catch-up returns: the relay must run
        # after the sweep, or the first start reports none of its reminders.
        settings.CELERY_BROKER_URL = ""
        world = build_world()
        person = world.supervisee(due_on=today() - timedelta(days=3))

        call_command("run_scheduler", "--once")

        assert Notification.objects.filter(subject_person=person).exists()
        assert not Notification.objects.filter(status="pending").exists()
        assert len(mail.outbox) >= 1
