"""Run the daily sweep now, in this process: ``manage.py sweep [--date YYYY-MM-DD]``.

The same service beat runs at 05:30. A second run on the same date does nothing; a
run that stopped part-way carries on with the chunks not yet done.
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from notifications.sweep import DEFAULT_CHUNK_SIZE, run_daily_sweep
from workforce.dates import today


class Command(BaseCommand):
    help = "Sweep training and supervision status: flags, reminders and escalations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date", help="the day to sweep as, YYYY-MM-DD (default: today)"
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=DEFAULT_CHUNK_SIZE,
            help="people per chunk (at most 100 chunks are made)",
        )

    def handle(self, *args: object, **options: object) -> None:
        raw = options["date"]
        try:
            as_of = date.fromisoformat(str(raw)) if raw else today()
        except ValueError as error:
            raise CommandError(f"--date must be YYYY-MM-DD, not {raw!r}") from error
        chunk_size = int(options["chunk_size"])  # type: ignore[call-overload]
        if chunk_size < 1:
            raise CommandError("--chunk-size must be at least 1")
        result = run_daily_sweep(as_of=as_of, chunk_size=chunk_size)
        if not result.chunks_run:
            self.stdout.write(f"Sweep of {as_of}: {result.status}, nothing to do.")
            return
        counts = ", ".join(f"{key} {value}" for key, value in result.counts.items())
        self.stdout.write(
            f"Sweep of {as_of}: {result.status}, {result.chunks_run} of "
            f"{result.chunks_total} chunks run; {counts}."
        )
