"""Recovery without a person: the sweep watchdog's decisions and the health problems.

Beat runs ``sweep_watchdog_task`` every ``SWEEP_WATCHDOG_SECONDS``. It looks at
today's sweep and, when nothing has moved for ``SWEEP_STALL_SECONDS`` (a worker was
killed, Redis lost the queue, beat missed the tick), queues the unfinished chunks
again. Chunks are idempotent (each is one transaction that marks itself done under
a row lock), so a chunk queued twice runs once and the second copy finds it done.

``/health/`` calls :func:`sweep_problem` and :func:`outbox_problem`: today's sweep
unfinished past ``SWEEP_DEADLINE_SECONDS`` after it was due or started, or an
undelivered notification older than ``HEALTH_OUTBOX_LAG_SECONDS``, makes the
report "degraded" and says which.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from notifications.models import SweepChunk, SweepRun, SweepRunStatus

logger = logging.getLogger(__name__)

DAILY = "daily"


def sweep_time() -> time:
    """The time of day beat starts the sweep (``SWEEP_TIME``, "HH:MM", local)."""
    hour, minute = str(settings.SWEEP_TIME).split(":")
    return time(int(hour), int(minute))


def scheduled_at(day: date) -> datetime:
    """When the sweep of ``day`` is due to start, as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, sweep_time()))


@dataclass(frozen=True)
class WatchdogDecision:
    """What the watchdog should do now for ``day``'s sweep."""

    day: date
    plan: bool = False  # no run yet: start one
    chunks: list[tuple[int, int]] = field(default_factory=list)  # queue these again
    finish: bool = False  # every chunk is done but the run was never marked
    reason: str = ""


def last_progress(run: SweepRun) -> datetime:
    """The latest of the run's start, a chunk finishing, and the last re-dispatch."""
    times = [run.started_at]
    done = SweepChunk.objects.filter(date=run.date).aggregate(last=Max("done_at"))
    if done["last"] is not None:
        times.append(done["last"])
    redispatched = (run.counts or {}).get("redispatched_at")
    if redispatched:
        times.append(datetime.fromisoformat(redispatched))
    return max(times)


def watchdog(*, day: date, now: datetime) -> WatchdogDecision:
    """Decide whether ``day``'s sweep needs help, and record a re-dispatch.

    Nothing happens before the sweep is due, once it has succeeded, or while it is
    still moving. After ``SWEEP_MAX_REDISPATCHES`` attempts it stops trying (a chunk
    that fails every time needs a person) and ``/health/`` stays degraded.
    """
    stall = timedelta(seconds=settings.SWEEP_STALL_SECONDS)
    if now < scheduled_at(day) + stall:
        return WatchdogDecision(day=day)
    with transaction.atomic():
        run = SweepRun.objects.select_for_update().filter(date=day, kind=DAILY).first()
        if run is None:
            return WatchdogDecision(day=day, plan=True, reason="not started")
        if run.status == SweepRunStatus.SUCCEEDED:
            return WatchdogDecision(day=day)
        if now - last_progress(run) < stall:
            return WatchdogDecision(day=day)
        counts = dict(run.counts or {})
        attempts = int(counts.get("redispatches", 0))
        if attempts >= settings.SWEEP_MAX_REDISPATCHES:
            logger.error(
                "sweep of %s still unfinished after %d re-dispatches", day, attempts
            )
            return WatchdogDecision(day=day, reason="gave up")
        counts["redispatches"] = attempts + 1
        counts["redispatched_at"] = now.isoformat()
        # A failed run carries on where it stopped, as the next beat tick would.
        run.status = SweepRunStatus.RUNNING
        run.finished_at = None
        run.counts = counts
        run.save(update_fields=["status", "finished_at", "counts"])
    chunks = list(
        SweepChunk.objects.filter(date=day, done_at__isnull=True)
        .order_by("lo")
        .values_list("lo", "hi")
    )
    logger.warning(
        "sweep of %s stalled since %s: queueing %d chunks again",
        day,
        last_progress(run).isoformat(),
        len(chunks),
    )
    return WatchdogDecision(day=day, chunks=chunks, finish=not chunks, reason="stalled")


def sweep_problem(*, day: date, now: datetime) -> str | None:
    """Say what is wrong with ``day``'s sweep for ``/health/``, or None."""
    allowed = timedelta(seconds=settings.SWEEP_DEADLINE_SECONDS)
    due = scheduled_at(day)
    run = SweepRun.objects.filter(date=day, kind=DAILY).first()
    if run is None:
        # Only a site that has swept before is owed today's sweep: a new one starts
        # with the watchdog's first run.
        if now > due + allowed and SweepRun.objects.filter(date__lt=day).exists():
            return f"the sweep of {day} has not started"
        return None
    if run.status == SweepRunStatus.SUCCEEDED:
        return None
    if now <= max(due, run.started_at) + allowed:
        return None
    chunks = SweepChunk.objects.filter(date=day)
    done = chunks.filter(done_at__isnull=False).count()
    return (
        f"the sweep of {day} is {run.status} past its deadline "
        f"({done} of {chunks.count()} chunks done)"
    )


def outbox_problem(*, oldest_seconds: int | None) -> str | None:
    """Say whether the outbox lags more than ``HEALTH_OUTBOX_LAG_SECONDS``."""
    limit = settings.HEALTH_OUTBOX_LAG_SECONDS
    if oldest_seconds is not None and oldest_seconds > limit:
        return f"the oldest undelivered notification has waited {oldest_seconds} s"
    return None
