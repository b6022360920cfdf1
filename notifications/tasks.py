"""The relay and the daily sweep, as Celery tasks: thin, so ``run_scheduler`` can
run them without Redis."""

import datetime
import logging

from celery import Task, shared_task
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from notifications.services import deliver_pending
from notifications.sweep import (
    DEFAULT_CHUNK_SIZE,
    finish_daily_sweep,
    mark_sweep_failed,
    plan_daily_sweep,
    run_daily_sweep,
    sweep_chunk,
)
from workforce.dates import today

logger = logging.getLogger(__name__)

# Keep claiming batches for up to this long per tick: a backlog clears quickly, yet
# the task ends well inside its 240 s soft limit and the 600 s lease.
DRAIN_SECONDS = 120.0


@shared_task(
    # Safe to run twice: rows are claimed with a lease, so a redelivered or
    # duplicate run finds nothing left to claim.
    acks_late=True,
    reject_on_worker_lost=True,
    # The service handles mail errors row by row; these retries cover the database
    # being briefly unreachable.
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
    time_limit=300,
    soft_time_limit=240,
)
def deliver_pending_task(*, batch_size: int = 100) -> dict[str, int]:
    """Send the notifications that are due, and log how many went."""
    result = deliver_pending(
        now=timezone.now(), batch_size=batch_size, max_seconds=DRAIN_SECONDS
    )
    if result.sent or result.failed or result.retried:
        logger.info(
            "notifications sent %d, failed %d, to retry %d",
            result.sent,
            result.failed,
            result.retried,
        )
    return {"sent": result.sent, "failed": result.failed, "retried": result.retried}


@shared_task(
    bind=True,
    # Planning is idempotent (the day's SweepRun decides), so a redelivery is safe.
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def run_daily_sweep_task(
    self: Task, *, as_of: str | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> dict[str, int]:
    """Plan the day's sweep and queue one task per chunk (inline without Redis)."""
    day = datetime.date.fromisoformat(as_of) if as_of else today()
    if not settings.CELERY_BROKER_URL or self.app.conf.task_always_eager:
        # Embedded mode: no broker, so the same chunks run here, one after another.
        result = run_daily_sweep(as_of=day, chunk_size=chunk_size)
        logger.info("daily sweep of %s: %d chunks run", day, result.chunks_run)
        return {"chunks": result.chunks_run, "rows": result.rows_written}
    chunks = plan_daily_sweep(as_of=day, chunk_size=chunk_size)
    # Chunks go to the queue the plan came from, so a dedicated queue keeps them.
    queue = (self.request.delivery_info or {}).get("routing_key")
    for lo, hi in chunks:
        sweep_chunk_task.apply_async(
            kwargs={"date": day.isoformat(), "lo": lo, "hi": hi}, queue=queue
        )
    if not chunks:
        finish_daily_sweep(as_of=day)
    logger.info("daily sweep of %s: %d chunks queued", day, len(chunks))
    return {"chunks": len(chunks)}


@shared_task(
    # A chunk is one transaction and marks itself done, so running it again after a
    # lost worker changes nothing that already committed.
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
    time_limit=300,
    soft_time_limit=240,
)
def sweep_chunk_task(*, date: str, lo: int, hi: int) -> dict[str, int]:
    """Sweep people with ids in [lo, hi] on ``date``; finish the run if it was last."""
    day = datetime.date.fromisoformat(date)
    try:
        counts = sweep_chunk(as_of=day, lo=lo, hi=hi)
    except DatabaseError:
        raise  # retried
    except Exception as error:
        mark_sweep_failed(as_of=day, error=error)
        raise
    finish_daily_sweep(as_of=day)
    logger.info("sweep chunk %s %d-%d: %s", day, lo, hi, counts or "already done")
    return counts or {}


@shared_task(bind=True, time_limit=60, soft_time_limit=50)
def sweep_watchdog_task(self: Task) -> dict[str, object]:
    """Queue today's sweep again if it stalled or never started (see recovery)."""
    from notifications import recovery

    day = today()
    decision = recovery.watchdog(day=day, now=timezone.now())
    queue = (self.request.delivery_info or {}).get("routing_key")
    if decision.plan:
        run_daily_sweep_task.apply_async(kwargs={"as_of": day.isoformat()}, queue=queue)
    for lo, hi in decision.chunks:
        sweep_chunk_task.apply_async(
            kwargs={"date": day.isoformat(), "lo": lo, "hi": hi}, queue=queue
        )
    if decision.finish:
        finish_daily_sweep(as_of=day)
    if decision.reason:
        logger.warning("sweep watchdog for %s: %s", day, decision.reason)
    return {"planned": decision.plan, "chunks": len(decision.chunks)}
