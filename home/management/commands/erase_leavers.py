"""Erase leavers past retention now, or with --dry-run count what that would do."""

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from home.erasure import DEFAULT_CHUNK_SIZE, erase_leavers
from workforce.dates import today


class Command(BaseCommand):
    help = (
        "Anonymise leavers past LEAVER_RETENTION_MONTHS (or their organisation's "
        "longer supervision retention). --dry-run counts and changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count only; change nothing."
        )
        parser.add_argument("--date", help="Run as of this day (YYYY-MM-DD).")
        parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            as_of = date.fromisoformat(options["date"]) if options["date"] else today()
        except ValueError as error:
            raise CommandError("--date must be YYYY-MM-DD.") from error
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be 1 or more.")
        result = erase_leavers(
            as_of=as_of, chunk_size=options["chunk_size"], dry_run=options["dry_run"]
        )
        verb = "Would erase" if result.dry_run else "Erased"
        self.stdout.write(f"{verb} {result.people} people as of {as_of.isoformat()}.")
        for kind, count in sorted(result.records.items()):
            if count:
                self.stdout.write(f"  {kind}: {count}")
