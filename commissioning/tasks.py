"""Scheduled commissioning work."""

import logging
from datetime import date

from celery import shared_task

from commissioning.services import take_monthly_snapshots
from workforce.dates import add_months, today

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def take_monthly_snapshots_task(*, month: str | None = None) -> int:
    """Record last month's figures (or ``month``, an ISO date); harmless to re-run."""
    wanted = (
        date.fromisoformat(month) if month else add_months(today().replace(day=1), -1)
    )
    added = take_monthly_snapshots(month=wanted)
    logger.info("took %d commissioning snapshots for %s", added, wanted)
    return added
