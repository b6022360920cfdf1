"""The Celery app. Settings come from Django's, under the ``CELERY_`` prefix."""

import os

from celery import Celery
from celery.signals import beat_init, worker_init

from config.querylog import stop_query_log

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("sustain")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def _no_query_log(**kwargs: object) -> None:
    """A worker or beat runs for days: it must not keep DEBUG's query log."""
    stop_query_log()
