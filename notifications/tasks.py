"""The relay, as a Celery task: thin, so ``run_scheduler`` can run it without Redis."""

import logging

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from notifications.services import deliver_pending

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
