from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from commissioning.synthetic import CountyExists, generate_county
from workforce.dates import today


class Command(BaseCommand):
    help = (
        "Build a synthetic county (providers x people, with training and supervision "
        "history) for benchmarks. Not for a database with real people in it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--providers", type=int, default=50)
        parser.add_argument(
            "--people", type=int, default=100, help="people per provider"
        )
        parser.add_argument("--seed", type=int, default=2017)
        parser.add_argument(
            "--requirements",
            type=int,
            default=0,
            help="training requirements (0: the real modules only)",
        )
        parser.add_argument(
            "--years", type=int, default=3, help="years of completion history"
        )
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            help="the day the county is built for (default today)",
        )

    def handle(
        self,
        *args: object,
        providers: int,
        people: int,
        seed: int,
        requirements: int,
        years: int,
        as_of: date | None,
        **options: object,
    ) -> None:
        if providers < 1 or people < 2:
            raise CommandError("Give at least 1 provider and 2 people per provider.")
        try:
            county = generate_county(
                providers=providers,
                people_per_provider=people,
                as_of=as_of or today(),
                seed=seed,
                requirements=requirements,
                years=years,
            )
        except CountyExists as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Generated {county.summary()}."))
