"""The state of the parts that make scheduled work happen, for ``/health/``.

Nothing here names a person: only statuses, times and counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Min

from notifications import recovery
from notifications.models import Notification, SweepRun
from workforce.dates import today

REDIS_TIMEOUT_SECONDS = 1.0


def database_status() -> str:
    """Say whether the database answers a trivial query: "ok" or "unavailable"."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return "unavailable"
    return "ok"


def redis_status() -> str:
    """Ping the broker with a one-second timeout: "ok", "unavailable" or
    "not-configured" (embedded mode, where nothing needs Redis)."""
    url = getattr(settings, "CELERY_BROKER_URL", "")
    if not url:
        return "not-configured"
    import redis

    client = redis.Redis.from_url(
        url,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        retry_on_timeout=False,
    )
    try:
        return "ok" if client.ping() else "unavailable"
    except (redis.RedisError, OSError):
        return "unavailable"
    finally:
        client.close()


def outbox_health(*, now: datetime) -> dict[str, Any]:
    """Return the health report: database, Redis, last sweep and the outbox's lag."""
    report: dict[str, Any] = {
        "status": "ok",
        "database": database_status(),
        "redis": redis_status(),
        "last_sweep": None,
        "oldest_undelivered_seconds": None,
        "undelivered": None,
        "failed": None,
        "problems": [],
    }
    if report["database"] != "ok":
        report["status"] = "unavailable"
        return report
    try:
        report.update(_outbox_figures(now=now))
    except DatabaseError:
        report["database"] = "unavailable"
        report["status"] = "unavailable"
        return report
    problems = report["problems"]
    if report["redis"] == "unavailable":
        problems.append("the broker does not answer")
    try:
        problems += [
            problem
            for problem in (
                recovery.sweep_problem(day=today(), now=now),
                recovery.outbox_problem(
                    oldest_seconds=report["oldest_undelivered_seconds"]
                ),
            )
            if problem
        ]
    except DatabaseError:
        report["database"] = "unavailable"
        report["status"] = "unavailable"
        return report
    if problems:
        report["status"] = "degraded"
    return report


def _outbox_figures(*, now: datetime) -> dict[str, Any]:
    undelivered = Notification.objects.undelivered()
    oldest = undelivered.aggregate(oldest=Min("created_at"))["oldest"]
    sweep = SweepRun.objects.order_by("-started_at").first()
    return {
        "oldest_undelivered_seconds": (
            max(0, int((now - oldest).total_seconds())) if oldest else None
        ),
        "undelivered": undelivered.count(),
        "failed": Notification.objects.filter(status="failed").count(),
        "last_sweep": (
            {
                "kind": sweep.kind,
                "date": sweep.date.isoformat(),
                "status": sweep.status,
                "started_at": sweep.started_at.isoformat(),
                "finished_at": (
                    sweep.finished_at.isoformat() if sweep.finished_at else None
                ),
                "counts": sweep.counts,
            }
            if sweep
            else None
        ),
    }
