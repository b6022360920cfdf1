"""Scheduled work across apps: thin wrappers around one service each."""

import logging
from datetime import date

from celery import shared_task

from home.erasure import erase_leavers
from workforce.dates import today

logger = logging.getLogger(__name__)


@shared_task
def erase_leavers_task(*, as_of: str | None = None) -> int:
    """Erase the personal data of leavers past the retention period."""
    result = erase_leavers(as_of=date.fromisoformat(as_of) if as_of else today())
    logger.info("Erased %d leavers in %d chunks", result.people, result.chunks)
    return result.people
