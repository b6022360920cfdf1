"""The watchdog's decisions, /health/'s problems, the missed digest and the relay's
last look before sending. The real-worker version is test_recovery_worker.py."""

from datetime import date, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from config.celery import app
from notifications import recovery
from notifications.models import (
    Notification,
    NotificationKind,
    NotificationStatus,
    SweepChunk,
    SweepRun,
    SweepRunStatus,
)
from notifications.services import DeliveryResult, _claim, _send_one, deliver_pending
from notifications.sweep import plan_daily_sweep, run_daily_sweep
from tests.factories.notifications import NotificationFactory
from tests.notifications.sweep_world import build_world

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 18)  # a Wednesday


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


@pytest.fixture(autouse=True)
def _timing(settings):
    settings.SWEEP_TIME = "05:30"
    settings.SWEEP_STALL_SECONDS = 600
    settings.SWEEP_DEADLINE_SECONDS = 3600
    settings.SWEEP_MAX_REDISPATCHES = 3
    settings.HEALTH_OUTBOX_LAG_SECONDS = 900


def started_run(world_people: int = 3, *, now: datetime) -> SweepRun:
    world = build_world()
    for n in range(world_people):
        world.trainee(deadline=DAY - timedelta(days=n))
    plan_daily_sweep(as_of=DAY, chunk_size=1, now=now)
    return SweepRun.objects.get(date=DAY)


class TestWatchdog:
    def test_before_the_sweep_is_due_it_does_nothing(self):
        decision = recovery.watchdog(day=DAY, now=at(5, 35))
        assert not decision.plan and not decision.chunks

    def test_a_missed_tick_is_started(self):
        assert recovery.watchdog(day=DAY, now=at(5, 41)).plan

    def test_a_moving_sweep_is_left_alone(self):
        started_run(now=at(5, 30))
        SweepChunk.objects.filter(pk=SweepChunk.objects.first().pk).update(
            done_at=at(5, 40)
        )
        assert recovery.watchdog(day=DAY, now=at(5, 49)).chunks == []
        assert recovery.watchdog(day=DAY, now=at(5, 51)).chunks

    def test_a_stalled_sweep_has_its_unfinished_chunks_queued_again_once_per_stall(
        self,
    ):
        run = started_run(now=at(5, 30))
        first, *rest = SweepChunk.objects.order_by("lo")
        SweepChunk.objects.filter(pk=first.pk).update(done_at=at(5, 31))

        decision = recovery.watchdog(day=DAY, now=at(5, 42))

        assert decision.chunks == [(c.lo, c.hi) for c in rest]
        run.refresh_from_db()
        assert run.counts["redispatches"] == 1
        # Queued again just now: the next tick waits another stall before repeating.
        assert recovery.watchdog(day=DAY, now=at(5, 45)).chunks == []
        assert len(recovery.watchdog(day=DAY, now=at(5, 53)).chunks) == len(rest)

    def test_a_failed_run_is_picked_up_and_a_run_with_all_chunks_done_is_finished(
        self,
    ):
        run = started_run(now=at(5, 30))
        SweepRun.objects.filter(pk=run.pk).update(status=SweepRunStatus.FAILED)
        SweepChunk.objects.update(done_at=at(5, 31))

        decision = recovery.watchdog(day=DAY, now=at(6, 0))

        assert decision.finish and decision.chunks == []
        assert SweepRun.objects.get().status == SweepRunStatus.RUNNING

    def test_it_gives_up_after_the_last_attempt(self):
        started_run(now=at(5, 30))
        for n in range(3):
            assert recovery.watchdog(day=DAY, now=at(6, 11 * (n + 1))).chunks
        assert recovery.watchdog(day=DAY, now=at(7, 30)).chunks == []
        assert recovery.sweep_problem(day=DAY, now=at(7, 30))

    def test_a_succeeded_run_is_left_alone(self):
        run_daily_sweep(as_of=DAY, now=at(5, 30))
        assert recovery.watchdog(day=DAY, now=at(9, 0)) == recovery.WatchdogDecision(
            day=DAY
        )


class TestHealthProblems:
    def test_an_unfinished_sweep_is_a_problem_only_past_its_deadline(self):
        started_run(now=at(5, 30))
        assert recovery.sweep_problem(day=DAY, now=at(6, 29)) is None
        SweepChunk.objects.filter(pk=SweepChunk.objects.first().pk).update(
            done_at=at(5, 31)
        )
        problem = recovery.sweep_problem(day=DAY, now=at(6, 31))
        total = SweepChunk.objects.count()
        assert problem == (
            f"the sweep of 2026-03-18 is running past its deadline (1 of {total} "
            "chunks done)"
        )

    def test_a_sweep_started_late_by_hand_gets_its_own_hour(self):
        started_run(now=at(9, 0))
        assert recovery.sweep_problem(day=DAY, now=at(9, 59)) is None
        assert recovery.sweep_problem(day=DAY, now=at(10, 1))

    def test_a_day_with_no_sweep_is_a_problem_once_the_site_has_swept_before(self):
        assert recovery.sweep_problem(day=DAY, now=at(12)) is None  # a new site
        run_daily_sweep(as_of=DAY - timedelta(days=1), now=at(5, 30))
        assert recovery.sweep_problem(day=DAY, now=at(6, 29)) is None
        assert recovery.sweep_problem(day=DAY, now=at(6, 31)) == (
            "the sweep of 2026-03-18 has not started"
        )

    def test_health_is_degraded_while_the_outbox_lags(self, client, settings):
        settings.CELERY_BROKER_URL = ""
        row = NotificationFactory(created_at=timezone.now() - timedelta(seconds=901))
        report = client.get("/health/").json()
        assert report["status"] == "degraded"
        assert report["problems"][0].startswith(
            "the oldest undelivered notification has waited 90"
        )
        Notification.objects.filter(pk=row.pk).update(status="sent")
        assert client.get("/health/").json()["status"] == "ok"


class TestMissedDigest:
    def test_a_monday_missed_is_sent_once_by_the_next_run_that_week(self):
        world = build_world()
        world.trainee(deadline=DAY - timedelta(days=30))  # overdue all week
        monday = DAY - timedelta(days=DAY.weekday())
        run_daily_sweep(as_of=monday - timedelta(days=1))  # Sunday ran

        run_daily_sweep(as_of=monday + timedelta(days=1))  # Monday was missed
        run_daily_sweep(as_of=monday + timedelta(days=2))

        digests = Notification.objects.filter(kind=NotificationKind.WEEKLY_DIGEST)
        assert digests.count() == 2  # the supervisor and the provider manager
        assert set(digests.values_list("key_date", flat=True)) == {monday}
        assert SweepRun.objects.get(date=monday + timedelta(1)).counts[
            "digest_of"
        ] == str(monday)
        assert "digests" not in SweepRun.objects.get(date=monday + timedelta(2)).counts

    def test_a_site_that_went_live_mid_week_owes_no_digest(self):
        build_world().trainee(deadline=DAY - timedelta(days=30))
        run_daily_sweep(as_of=DAY)
        assert not Notification.objects.filter(kind=NotificationKind.WEEKLY_DIGEST)


class TestRelayLastLook:
    def test_a_row_taken_over_after_the_claim_is_not_sent(self):
        now = timezone.now()
        rows = [NotificationFactory(next_attempt_at=now) for _ in range(2)]
        claimed = _claim(
            now=now, batch_size=10, lease_until=now + timedelta(seconds=60)
        )
        # Another relay took the first row over (its lease had run out).
        Notification.objects.filter(pk=rows[0].pk).update(attempts=2)
        outcomes = [_send_one(row, mail=None, now=now, at=now) for row in claimed]
        assert outcomes[0] == "skipped"
        assert len(mail.outbox) == 1
        assert mail.outbox[0].to == [rows[1].recipient.email]

    def test_a_lease_run_out_mid_batch_is_not_sent(self):
        now = timezone.now()
        row = NotificationFactory(next_attempt_at=now)
        (claimed,) = _claim(
            now=now, batch_size=1, lease_until=now + timedelta(seconds=60)
        )
        later = now + timedelta(seconds=61)
        assert _send_one(claimed, mail=None, now=now, at=later) == "skipped"
        assert mail.outbox == []
        row.refresh_from_db()
        assert row.status == NotificationStatus.SENDING

    def test_every_attempt_carries_the_same_message_id(self, settings):
        settings.SITE_URL = "https://sustain.example"
        row = NotificationFactory()
        assert deliver_pending(now=timezone.now()) == DeliveryResult(sent=1)
        assert mail.outbox[0].extra_headers["Message-ID"] == (
            f"<notification-{row.pk}@sustain.example>"
        )


def test_the_visibility_timeout_outlasts_every_time_limit_and_retry_wait(settings):
    """Redis must not hand live work to a second worker, nor keep a dead worker's
    task for an hour."""
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    app.loader.import_default_modules()
    ours = [task for name, task in app.tasks.items() if not name.startswith("celery.")]
    assert len(ours) >= 4
    waits = [task.time_limit or settings.CELERY_TASK_TIME_LIMIT for task in ours]
    waits += [
        task.retry_backoff_max
        for task in ours
        if getattr(task, "autoretry_for", ()) and getattr(task, "retry_backoff", False)
    ]
    assert max(waits) < visibility < 3600
    # The sweep's stall must outlast a chunk's hard limit, so live chunks are spared.
    assert settings.SWEEP_STALL_SECONDS > settings.CELERY_TASK_TIME_LIMIT
