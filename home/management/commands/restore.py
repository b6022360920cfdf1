from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup folder into the configured (empty) database and MEDIA_ROOT, "
        "then check every table's count and that every encrypted value decrypts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", type=Path, help="a folder written by `backup`")

    def handle(self, *args: object, backup: Path, **options: object) -> None:
        try:
            result = restore(backup)
        except BackupError as error:
            raise CommandError(str(error)) from error
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(problem)
            raise CommandError(
                "The restore does not match its backup "
                f"({len(result.problems)} problems)."
            )
        self.stdout.write(
            f"Restored {result.rows} rows in {result.tables} tables and "
            f"{result.media_files} media files; all {result.decrypted} encrypted "
            "values decrypt."
        )
