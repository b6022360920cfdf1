"""Scheduled supervision work: thin wrappers around one service each."""

import logging
from datetime import date

from celery import shared_task

from supervision.services import purge_expired_content
from workforce.dates import today

logger = logging.getLogger(__name__)


@shared_task
def purge_expired_content_task(*, as_of: str | None = None) -> int:
    """Delete supervision content past each organisation's retention period."""
    purged = purge_expired_content(
        as_of=date.fromisoformat(as_of) if as_of else today()
    )
    logger.info("Purged supervision content from %d sessions", purged)
    return purged
