from datetime import date

from django.core.management.base import BaseCommand, CommandParser

from supervision.services import purge_expired_content
from workforce.dates import today


class Command(BaseCommand):
    help = (
        "Delete supervision content kept longer than each organisation's retention "
        "period after people leave. Dates and counts stay for statistics."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", type=date.fromisoformat, default=None)

    def handle(
        self, *args: object, as_of: date | None = None, **options: object
    ) -> None:
        purged = purge_expired_content(as_of=as_of or today())
        self.stdout.write(f"Purged content from {purged} sessions.")
