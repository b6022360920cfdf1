"""Scheduled learning work: thin wrappers around one service each."""

import logging
from datetime import date

from celery import shared_task

from learning.services import sync_training_status
from workforce.dates import today

logger = logging.getLogger(__name__)


@shared_task
def sync_training_status_task(
    *, person_ids: list[int] | None = None, as_of: str | None = None
) -> int:
    """Repair training status rows for these people (all when None); idempotent."""
    changed = sync_training_status(
        person_ids=person_ids, as_of=date.fromisoformat(as_of) if as_of else today()
    )
    logger.info("Training status rows changed: %d", changed)
    return changed
