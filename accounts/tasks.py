"""Scheduled housekeeping for accounts."""

import logging

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def clear_expired_sessions_task() -> int:
    """Delete sessions past their expiry, so the session table does not grow forever."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    logger.info("cleared %d expired sessions", deleted)
    return deleted
