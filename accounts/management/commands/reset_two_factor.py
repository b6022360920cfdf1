"""Recovery: remove a person's two-factor devices so they enrol again at sign-in."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.two_factor import reset_two_factor


class Command(BaseCommand):
    help = (
        "Reset a person's two-factor authentication (lost phone and backup codes). "
        "Check who they are first, out of band. The reset is logged."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("login", help="The person's username or email address")
        parser.add_argument(
            "--by", required=True, help="Who is doing the reset (logged)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        login = options["login"].strip()
        matches = list(
            User.objects.filter(username__iexact=login)
            | User.objects.filter(email__iexact=login)
        )
        if len(matches) != 1:
            raise CommandError(f"No single account matches {login!r}.")
        removed = reset_two_factor(matches[0], by=options["by"])
        self.stdout.write(
            f"Removed {removed} device(s); they set up two-factor at next sign-in."
        )
