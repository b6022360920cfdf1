"""A sweep whose worker is SIGKILLed mid-chunk finishes with nobody acting.

Redis's visibility timeout is left at an hour here, so the killed worker's chunk is
not redelivered within the test: only the watchdog, run by a real beat inside the
second worker on a one-second interval, can finish the day. Meanwhile ``/health/``
says "degraded" and why.
"""

import time

import pytest

from notifications.models import Flag, SweepChunk, SweepRun
from notifications.sweep import chunk_bounds
from notifications.tasks import run_daily_sweep_task
from tests.notifications.conftest import wait_for
from tests.notifications.sweep_world import (
    build_world,
    flag_held,
    overdue_supervisee_between,
    populate,
    snapshot,
)
from tests.notifications.test_sweep_worker import CHUNK, clean_run_of, succeeded
from workforce.dates import today

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NO_REDELIVERY = {"SUSTAIN_TEST_VISIBILITY_TIMEOUT": "3600"}
QUICK_WATCHDOG = {
    "SUSTAIN_TEST_BEAT": "sweep-watchdog",
    "SWEEP_WATCHDOG_SECONDS": "1",
    "SWEEP_STALL_SECONDS": "3",
    "SWEEP_TIME": "00:00",
}


def health(client) -> dict:
    response = client.get("/health/")
    assert response.status_code == 200
    return response.json()


def test_a_killed_sweep_is_finished_by_the_watchdog_and_health_says_degraded_meanwhile(
    celery_worker, worker_queue, settings, client
):
    day = today()
    settings.SWEEP_TIME = "00:00"
    settings.SWEEP_DEADLINE_SECONDS = 2
    settings.HEALTH_OUTBOX_LAG_SECONDS = 24 * 3600  # the relay is not under test
    world = build_world()
    populate(world, day)
    bounds = chunk_bounds(as_of=day, chunk_size=CHUNK)
    assert len(bounds) >= 3
    lo, hi = bounds[1]
    blocked = overdue_supervisee_between(world, lo, hi, day)
    with flag_held(blocked, day):
        first = celery_worker("first", **NO_REDELIVERY)
        run_daily_sweep_task.apply_async(
            kwargs={"as_of": day.isoformat(), "chunk_size": CHUNK}, queue=worker_queue
        )
        assert wait_for(
            lambda: SweepChunk.objects.filter(done_at__isnull=False).count() >= 1,
            timeout=30,
        )
        time.sleep(1.0)  # the worker is now waiting inside the second chunk
        assert not SweepChunk.objects.get(date=day, lo=lo).done_at
        first.kill()
        killed_at = time.monotonic()

    # Nobody acts. Past the deadline, health says what is wrong.
    assert wait_for(lambda: health(client)["status"] == "degraded", timeout=10)
    report = health(client)
    assert any("past its deadline" in p for p in report["problems"]), report
    assert not succeeded(day)

    # A worker running beat with only the watchdog; no tick of the sweep itself.
    second = celery_worker("second", beat=True, **NO_REDELIVERY, **QUICK_WATCHDOG)
    assert wait_for(lambda: succeeded(day), timeout=90), second.output()
    recovered_in = time.monotonic() - killed_at
    run = SweepRun.objects.get(date=day)
    assert run.counts["redispatches"] >= 1
    assert "queueing 1 chunks again" in second.output()
    after = health(client)
    assert after["status"] == "ok", after
    assert after["problems"] == []
    print(f"recovered {recovered_in:.1f} s after the kill")

    recovered = snapshot()
    assert Flag.objects.filter(person=blocked, closed_on__isnull=True).count() == 1
    assert recovered == clean_run_of(day)
