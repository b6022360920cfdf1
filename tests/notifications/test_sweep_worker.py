"""The daily sweep under real conditions: concurrent runs, real workers, a SIGKILL.

These need PostgreSQL (row locks, and worker processes sharing the test database);
the worker tests need Redis too. Each compares the end state with a clean run's.
"""

import threading
import time
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from notifications.models import (
    Flag,
    Notification,
    NotificationKind,
    SweepChunk,
    SweepRun,
    SweepRunStatus,
)
from notifications.services import deliver_pending
from notifications.sweep import chunk_bounds, run_daily_sweep
from notifications.tasks import run_daily_sweep_task
from tests.notifications.conftest import wait_for
from tests.notifications.mail import sent_ids
from tests.notifications.sweep_world import (
    build_world,
    flag_held,
    overdue_supervisee_between,
    populate,
    snapshot,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

AS_OF = date(2026, 3, 18)
CHUNK = 4
# Quick redelivery of a dead worker's unacknowledged task, so recovery takes seconds.
QUICK_REDELIVERY = {"SUSTAIN_TEST_VISIBILITY_TIMEOUT": "4"}


def clean_run_of(as_of: date) -> dict[str, set[tuple]]:
    """Forget the sweep's effects, sweep once in this process, and return the state."""
    for model in (Flag, Notification, SweepChunk, SweepRun):
        model.objects.all().delete()
    run_daily_sweep(as_of=as_of, chunk_size=CHUNK)
    return snapshot()


def beat_tick(queue: str, as_of: date) -> None:
    """Publish the day's sweep, as beat does at 05:30."""
    run_daily_sweep_task.apply_async(
        kwargs={"as_of": as_of.isoformat(), "chunk_size": CHUNK}, queue=queue
    )


def succeeded(as_of: date) -> bool:
    return SweepRun.objects.filter(date=as_of, status=SweepRunStatus.SUCCEEDED).exists()


class TestTwoSweepsAtOnce:
    def test_two_beats_over_three_days_do_each_days_work_once(self):
        world = build_world()
        populate(world, AS_OF)
        days = [AS_OF + timedelta(n) for n in range(3)]
        errors: list[BaseException] = []

        for day in days:
            start = threading.Barrier(2)

            def beat(day=day, start=start) -> None:
                start.wait()
                try:
                    run_daily_sweep(as_of=day, chunk_size=CHUNK)
                except BaseException as error:
                    errors.append(error)
                finally:
                    connection.close()

            threads = [threading.Thread(target=beat) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)

        assert errors == []
        assert all(succeeded(day) for day in days)
        after_three_days = snapshot()
        # The same three days swept once each, by one process, give the same state.
        for model in (Flag, Notification, SweepChunk, SweepRun):
            model.objects.all().delete()
        for day in days:
            run_daily_sweep(as_of=day, chunk_size=CHUNK)
        assert snapshot() == after_three_days


@pytest.mark.redis
@pytest.mark.slow
class TestSweepOnRealWorkers:
    def test_two_beat_ticks_a_day_for_three_days_through_two_workers(
        self, celery_worker, worker_queue
    ):
        world = build_world()
        populate(world, AS_OF)
        days = [AS_OF + timedelta(n) for n in range(3)]
        celery_worker("a")
        celery_worker("b")

        for day in days:
            beat_tick(worker_queue, day)
            beat_tick(worker_queue, day)
            assert wait_for(lambda day=day: succeeded(day), timeout=60)
        time.sleep(0.5)  # let a duplicate chunk in flight finish before counting

        after = snapshot()
        for model in (Flag, Notification, SweepChunk, SweepRun):
            model.objects.all().delete()
        for day in days:
            run_daily_sweep(as_of=day, chunk_size=CHUNK)
        assert snapshot() == after

    def test_a_worker_killed_mid_chunk_leaves_the_state_of_a_clean_run(
        self, celery_worker, worker_queue, mail_log, settings
    ):
        world = build_world()
        populate(world, AS_OF)
        bounds = chunk_bounds(as_of=AS_OF, chunk_size=CHUNK)
        assert len(bounds) >= 3
        lo, hi = bounds[1]
        blocked = overdue_supervisee_between(world, lo, hi, AS_OF)
        with flag_held(blocked, AS_OF):
            first = celery_worker("first", **QUICK_REDELIVERY)
            beat_tick(worker_queue, AS_OF)
            assert wait_for(
                lambda: SweepChunk.objects.filter(done_at__isnull=False).count() >= 1,
                timeout=30,
            )
            time.sleep(1.0)  # the worker is now waiting inside the second chunk
            assert not SweepChunk.objects.get(date=AS_OF, lo=lo).done_at
            first.kill()

        assert SweepRun.objects.get().status == SweepRunStatus.RUNNING
        assert not Flag.objects.filter(person=blocked).exists()

        # Restart, with no new tick: Redis redelivers the killed chunk.
        celery_worker("second", **QUICK_REDELIVERY)
        assert wait_for(lambda: succeeded(AS_OF), timeout=60)
        after_recovery = snapshot()
        settings.EMAIL_BACKEND = "tests.notifications.mail.RecordingBackend"
        deliver_pending(now=timezone.now(), batch_size=500)
        emails = sent_ids(mail_log)

        assert Flag.objects.filter(person=blocked, closed_on__isnull=True).count() == 1
        assert emails and max(emails.values()) == 1
        # Every message went once: alone, or in its recipient's one daily summary.
        assert set(emails) == set(
            Notification.objects.exclude(status="in_digest").values_list(
                "pk", flat=True
            )
        )
        summaries = Notification.objects.filter(kind=NotificationKind.DAILY_DIGEST)
        assert summaries.exists()
        assert set(summaries.values_list("recipient", "key_date")) == {
            (recipient, AS_OF)
            for recipient in Notification.objects.filter(
                status="in_digest"
            ).values_list("recipient", flat=True)
        }
        assert clean_run_of(AS_OF) == after_recovery
