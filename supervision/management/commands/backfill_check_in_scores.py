from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from supervision.models import CheckInScoreRecord, SupervisionSession
from supervision.services import store_check_in_scores


class Command(BaseCommand):
    help = (
        "Write the pseudonymised check-in score records that commissioning "
        "aggregates read, from every finalised check-in (decrypting each once). "
        "Safe to run again: existing records are updated, never duplicated."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="Delete every record first (after changing the pseudonym key). "
            "Records of check-ins purged under retention cannot be rebuilt.",
        )

    def handle(self, *args: object, rebuild: bool = False, **options: object) -> None:
        with transaction.atomic():
            if rebuild:
                CheckInScoreRecord.objects.all().delete()
            written = store_check_in_scores(
                session_ids=SupervisionSession.objects.values_list("pk", flat=True),
                include_closed=True,
            )
        self.stdout.write(f"Wrote {written} check-in score records.")
