from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.backup import BackupError, backup, read_manifest


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump, custom format) and MEDIA_ROOT into a new "
        "folder under DESTINATION. The encryption keys are not written: keep them "
        "apart."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("destination", type=Path)

    def handle(self, *args: object, destination: Path, **options: object) -> None:
        try:
            folder = backup(destination)
            manifest = read_manifest(folder)
        except BackupError as error:
            raise CommandError(str(error)) from error
        database = manifest["database"]
        self.stdout.write(
            f"Backed up {sum(database['tables'].values())} rows in "
            f"{len(database['tables'])} tables, "
            f"{sum(database['encrypted_values'].values())} encrypted values and "
            f"{manifest['media']['files']} media files to {folder}"
        )
        self.stdout.write(
            "The encryption keys are not in the backup. Restoring needs "
            "FIELD_ENCRYPTION_KEYS holding one of these (fingerprints): "
            f"{', '.join(manifest['key_fingerprints'])}."
        )
