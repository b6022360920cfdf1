"""Keep no DEBUG query log in management commands and workers.

With DEBUG on (the development settings), Django keeps the last 9,000 queries of
each connection in memory; a long job (the sweep, a backfill, ``generate_county``)
then holds hundreds of megabytes of SQL text it never reads. ``manage.py`` (every
command but ``runserver``) and the Celery worker and beat processes call
:func:`stop_query_log` first, so they run the same with DEBUG on or off.
"""

from __future__ import annotations

from collections import deque


def stop_query_log() -> None:
    """Make every database connection of this process keep no query log."""
    from django.db.backends.base.base import BaseDatabaseWrapper

    # Connections made from now on start with an empty, zero-length log; any made
    # already get one too.
    BaseDatabaseWrapper.queries_limit = 0
    from django.core.exceptions import ImproperlyConfigured
    from django.db import connections

    try:
        made = connections.all(initialized_only=True)
    except ImproperlyConfigured:  # no settings yet, so no connections either
        return
    for connection in made:
        connection.queries_log = deque(maxlen=0)
