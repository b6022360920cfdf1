from django.core.management.base import BaseCommand, CommandError, CommandParser

from commissioning.services import backfill_snapshots
from workforce.dates import today


class Command(BaseCommand):
    help = (
        "Record the monthly commissioning snapshots of the last N complete months "
        "that are missing (idempotent: recorded months are never changed)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--months", type=int, default=12)

    def handle(self, *args: object, months: int = 12, **options: object) -> None:
        if not 1 <= months <= 120:
            raise CommandError("--months must be between 1 and 120.")
        added = backfill_snapshots(as_of=today(), months=months)
        self.stdout.write(f"Added {added} snapshots for the last {months} months.")
