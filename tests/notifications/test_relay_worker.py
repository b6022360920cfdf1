"""The relay under real conditions: a real Redis broker and real worker processes.

These start ``celery worker`` subprocesses against the test database, so they need
PostgreSQL (a worker cannot share SQLite's in-memory test database) and Redis. Sent
email is written to a file by ``RecordingBackend``, so a message sent twice by two
processes shows up twice.
"""

import re
import threading
import time
from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from config.celery import app as celery_app
from notifications.models import Notification, NotificationKind, NotificationStatus
from notifications.services import DeliveryResult, deliver_pending, enqueue
from notifications.tasks import deliver_pending_task
from tests.factories.notifications import NotificationFactory
from tests.notifications.conftest import wait_for
from tests.notifications.mail import sent_ids

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

# Nothing listens here: the broker, as a web request would find it during an outage.
DEAD_BROKER = "redis://127.0.0.1:6390/0"


def due_notifications(count: int) -> set[int]:
    """Put ``count`` notifications in the outbox, due now; return their ids."""
    now = timezone.now()
    rows = NotificationFactory.create_batch(count, created_at=now, next_attempt_at=now)
    return {row.pk for row in rows}


def received_task_ids(log: str) -> set[str]:
    """Return the ids of the relay tasks a worker's log says it received."""
    return set(re.findall(r"deliver_pending_task\[([0-9a-f-]+)\] received", log))


def relay_tick(queue: str, *, batch_size: int = 100) -> None:
    """Publish the relay task, as beat does every minute."""
    deliver_pending_task.apply_async(kwargs={"batch_size": batch_size}, queue=queue)


class TestTwoRelaysAtOnce:
    def test_two_threads_relaying_together_send_each_notification_once(
        self, mail_log, settings, monkeypatch
    ):
        settings.EMAIL_BACKEND = "tests.notifications.mail.RecordingBackend"
        monkeypatch.setenv("SUSTAIN_TEST_MAIL_DELAY", "0.002")
        ids = due_notifications(200)
        start = threading.Barrier(2)
        results: dict[str, list[DeliveryResult]] = {"a": [], "b": []}

        def relay(name: str) -> None:
            start.wait()
            try:
                while (
                    result := deliver_pending(now=timezone.now(), batch_size=10)
                ).sent:
                    results[name].append(result)
            finally:
                connection.close()

        threads = [threading.Thread(target=relay, args=(n,)) for n in results]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        sent = sent_ids(mail_log)
        assert set(sent) == ids
        assert max(sent.values()) == 1
        assert results["a"] and results["b"], "both relays should have sent some"
        assert not Notification.objects.undelivered().exists()

    @pytest.mark.slow
    def test_two_worker_processes_send_each_notification_once(
        self, celery_worker, worker_queue, mail_log
    ):
        ids = due_notifications(300)
        celery_worker("a", SUSTAIN_TEST_MAIL_DELAY="0.005")
        celery_worker("b", SUSTAIN_TEST_MAIL_DELAY="0.005")

        for _ in range(20):
            relay_tick(worker_queue, batch_size=20)

        assert wait_for(lambda: sent_ids(mail_log).total() >= 300, timeout=60)
        time.sleep(0.5)  # let any duplicate in flight land before counting
        sent = sent_ids(mail_log)
        assert set(sent) == ids
        assert max(sent.values()) == 1
        assert (
            Notification.objects.filter(status=NotificationStatus.SENT).count() == 300
        )


class TestBrokerOutage:
    @pytest.mark.slow
    def test_notifications_written_while_redis_is_down_are_all_sent_once_after(
        self, client, make_person, settings, celery_worker, worker_queue, mail_log
    ):
        person = make_person()
        client.force_login(person.user)
        settings.ROOT_URLCONF = "tests.notifications.urls"
        real_broker = celery_app.conf.broker_url
        timings = []
        try:
            # Redis is unreachable: anything that tried to publish would fail or hang.
            settings.CELERY_BROKER_URL = DEAD_BROKER
            celery_app.conf.broker_url = DEAD_BROKER
            celery_app._pool = None
            for day in range(100):
                began = time.perf_counter()
                response = client.post(
                    "/record/",
                    {"deadline": (date(2026, 1, 1) + timedelta(day)).isoformat()},
                )
                timings.append(time.perf_counter() - began)
                assert response.status_code == 201
            settings.ROOT_URLCONF = "config.urls"
            health = client.get("/health/").json()
        finally:
            celery_app.conf.broker_url = real_broker
            celery_app._pool = None

        assert health["redis"] == "unavailable"
        assert health["status"] == "degraded"
        assert health["undelivered"] == 100
        assert Notification.objects.undelivered().count() == 100
        assert max(timings) < 0.5, "a web request waited on the broker"

        # Redis is back: the next relay tick sends everything, once.
        celery_worker("worker")
        relay_tick(worker_queue)
        assert wait_for(lambda: sent_ids(mail_log).total() >= 100, timeout=30)
        sent = sent_ids(mail_log)
        assert len(sent) == 100 and max(sent.values()) == 1
        assert not Notification.objects.undelivered().exists()


class TestWorkerKilledMidTask:
    @pytest.mark.slow
    def test_the_task_runs_again_and_no_email_is_sent_twice(
        self, celery_worker, worker_queue, mail_log
    ):
        ids = due_notifications(20)
        # A slow mail server, a short lease and quick redelivery, so the whole
        # kill-and-recover cycle fits in a few seconds.
        timings = {
            "NOTIFICATION_LEASE_SECONDS": "3",
            "SUSTAIN_TEST_VISIBILITY_TIMEOUT": "4",
        }
        first = celery_worker("first", SUSTAIN_TEST_MAIL_DELAY="0.3", **timings)
        relay_tick(worker_queue)
        assert wait_for(lambda: sent_ids(mail_log).total() >= 5, timeout=20, every=0.02)
        time.sleep(0.1)  # now inside the sixth message's send
        first.kill()

        sent_before = sent_ids(mail_log)
        assert 5 <= sent_before.total() < 20
        assert Notification.objects.filter(status="sending").count() >= 14

        # Restart, with no new tick: Redis redelivers the unacknowledged task.
        second = celery_worker("second", **timings)
        assert wait_for(lambda: sent_ids(mail_log).total() >= 20, timeout=30)
        time.sleep(0.5)
        sent = sent_ids(mail_log)
        assert set(sent) == ids
        assert max(sent.values()) == 1
        assert not Notification.objects.undelivered().exists()
        killed_task = received_task_ids(first.output())
        assert killed_task and killed_task <= received_task_ids(second.output())


class TestConcurrentEnqueue:
    def test_two_requests_writing_the_same_notification_at_once_write_one(
        self, make_person
    ):
        person = make_person()
        start = threading.Barrier(2)
        outcomes: list[object] = []

        def write() -> None:
            start.wait()
            try:
                with transaction.atomic():
                    outcomes.append(
                        enqueue(
                            recipient=person.user,
                            kind=NotificationKind.SUPERVISION_OVERDUE,
                            subject_person=person,
                            key_date=date(2026, 3, 1),
                            context={},
                        )
                    )
            except Exception as error:
                outcomes.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=write) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert Notification.objects.count() == 1
        assert sorted(outcome is None for outcome in outcomes) == [False, True]
