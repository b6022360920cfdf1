from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from learning.content import MODULES_DIR
from learning.content_check import check_directory


class Command(BaseCommand):
    help = (
        "Check every module file against the content rules: bank size, answer "
        "position and length, giveaway words, case-based share, review dates and "
        "cited sources. Exits with an error listing each problem."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--directory",
            type=Path,
            default=MODULES_DIR,
            help="Folder of module JSON files (default: the shipped modules).",
        )

    def handle(self, *args: object, **options: object) -> None:
        directory = options["directory"]
        assert isinstance(directory, Path)
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a folder of module files.")
        problems = check_directory(directory)
        for problem in problems:
            self.stderr.write(str(problem))
        count = len(list(directory.glob("*.json")))
        if problems:
            raise CommandError(
                f"{len(problems)} problems in {count} modules; see above."
            )
        self.stdout.write(f"Training content: {count} modules pass the check.")
