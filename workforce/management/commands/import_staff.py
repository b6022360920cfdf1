from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workforce.roster import RosterBusy, import_roster


class Command(BaseCommand):
    help = (
        "Import a staff roster CSV: all rows are checked first; all or none are saved."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the roster CSV file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and count, save nothing"
        )

    def handle(
        self, *args: object, file: Path, dry_run: bool, **options: object
    ) -> None:
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from error
        try:
            result = import_roster(content, dry_run=dry_run)
        except RosterBusy as busy:
            raise CommandError(str(busy)) from busy
        for error in result.errors:
            self.stderr.write(str(error))
        if not result.ok:
            raise CommandError(result.summary())
        self.stdout.write(self.style.SUCCESS(result.summary()))
