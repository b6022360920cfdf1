import os
from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from workforce.dates import today
from workforce.demo import DEMO_LOGINS, DEMO_PASSWORD, seed_workforce

# Each later seed builds on the workforce: learning, supervision, then commissioning.
FURTHER_SEEDS = ["learning.demo", "supervision.demo", "commissioning.demo"]


class Command(BaseCommand):
    help = "Load the demo county (idempotent). Refuses to run with production settings."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--quiet-logins", action="store_true", help="do not print the demo logins"
        )

    def handle(
        self, *args: object, quiet_logins: bool = False, **options: object
    ) -> None:
        module = settings.SETTINGS_MODULE or os.environ.get(
            "DJANGO_SETTINGS_MODULE", ""
        )
        if module.endswith(".production") or not (
            settings.DEBUG or module.endswith((".dev", ".test"))
        ):
            raise CommandError(
                "seed_demo loads made-up people with a published password; "
                "it refuses to run with production settings."
            )
        as_of = today()
        workforce = seed_workforce(as_of=as_of)
        self.stdout.write(
            f"Workforce: {len(workforce.people)} people in "
            f"{len(workforce.organisations)} organisations."
        )
        for module_path in FURTHER_SEEDS:
            try:
                module = import_module(module_path)
            except ModuleNotFoundError as error:
                if error.name != module_path:
                    raise
                continue
            summary = module.seed(as_of=as_of, workforce=workforce)
            self.stdout.write(f"{module_path.split('.')[0].capitalize()}: {summary}")
        if not quiet_logins:
            self.stdout.write("Demo logins (password: " + DEMO_PASSWORD + "):")
            for username, first, last, *_rest, roles in DEMO_LOGINS:
                labels = ", ".join(role.label for role in roles)
                self.stdout.write(f"  {username:<13} {first} {last} ({labels})")
