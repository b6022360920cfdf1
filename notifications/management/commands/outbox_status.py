"""Print what ``/health/`` reports: database, Redis, last sweep and outbox lag."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from notifications.health import outbox_health


class Command(BaseCommand):
    help = "Show the outbox and scheduler health (the same as /health/)."

    def handle(self, *args: object, **options: object) -> None:
        report = outbox_health(now=timezone.now())
        self.stdout.write(json.dumps(report, indent=2, sort_keys=True))
        if report["database"] != "ok":
            raise CommandError("The database is unavailable.")
