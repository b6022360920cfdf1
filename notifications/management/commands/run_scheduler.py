"""Embedded mode's scheduler: the Celery beat schedule, run in this process.

``make run`` starts this beside the web server so the demo's scheduled jobs happen
without Redis. It reads the same ``CELERY_BEAT_SCHEDULE`` as beat and runs each due
task synchronously (``Task.apply``). Every scheduled job is idempotent, so on start it
runs each job once to catch up; after that each runs when its schedule says.
Production runs Celery beat and workers instead (see the README).
"""

import contextlib
import logging
import os
import signal
import sys
import threading
from datetime import datetime
from types import FrameType

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections
from django.utils import timezone

from config.celery import app

logger = logging.getLogger(__name__)

# The relay's job: the catch-up runs it last, so what the other jobs wrote (the sweep's
# reminders and summaries) is sent before ``make run`` says how many emails went.
RELAY = "deliver-notifications"


class Command(BaseCommand):
    help = "Run the beat schedule in-process, without Redis (embedded mode)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="run every job once, then exit"
        )
        parser.add_argument(
            "--tick",
            type=float,
            default=30.0,
            help="seconds between checks of the schedule",
        )

    def handle(self, *args: object, once: bool, tick: float, **options: object) -> None:
        app.loader.import_default_modules()
        schedule = {
            name: app.conf.beat_schedule[name] for name in settings.CELERY_BEAT_SCHEDULE
        }
        # SIGTERM (make run's Ctrl+C, a service stop) ends the wait at once; a job
        # cut short is safe, as every job is idempotent and runs in transactions.
        self.stopping = threading.Event()
        self.in_job = False
        previous = {
            signum: signal.signal(signum, self._stop)
            for signum in (signal.SIGTERM, signal.SIGINT)
        }
        last_run: dict[str, datetime] = {}
        catch_up = sorted(schedule.items(), key=lambda item: item[0] == RELAY)
        try:
            for name, entry in catch_up:
                if self.stopping.is_set():
                    self._exit_now()
                self._run(name, entry)
                last_run[name] = timezone.now()
        finally:
            if once:  # called in-process (tests, call_command): put them back
                for signum, handler in previous.items():
                    signal.signal(signum, handler)
        if once:
            return
        self.stdout.write(f"Scheduler running {len(schedule)} job(s) in-process.")
        while not self.stopping.wait(tick):
            for name, entry in schedule.items():
                due, _next = self._schedule(entry).is_due(last_run[name])
                if due and not self.stopping.is_set():
                    self._run(name, entry)
                    last_run[name] = timezone.now()
        self._exit_now()

    def _schedule(self, entry: dict):  # type: ignore[no-untyped-def,type-arg]
        from celery.schedules import maybe_schedule

        return maybe_schedule(entry["schedule"], app=app)

    def _run(self, name: str, entry: dict) -> None:  # type: ignore[type-arg]
        task = app.tasks[entry["task"]]
        self.in_job = True
        try:
            result = task.apply(
                args=entry.get("args", ()), kwargs=entry.get("kwargs", {})
            )
        finally:
            self.in_job = False
        if result.failed():
            logger.error("scheduled job %s failed: %r", name, result.result)
        else:
            logger.info("scheduled job %s done: %r", name, result.result)

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping.set()
        if self.in_job:
            # Stop now rather than after the job: it runs again on the next start.
            self._exit_now()

    def _exit_now(self) -> None:
        """Leave at once. The interpreter's own shutdown (collecting every object
        Django, Wagtail and Celery loaded) took seconds and could crash in an
        extension module; an open transaction is rolled back by the database."""
        logger.info("scheduler stopped")
        with contextlib.suppress(Exception):
            connections.close_all()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
