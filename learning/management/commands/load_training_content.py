from django.core.management.base import BaseCommand, CommandError

from learning.content import ContentError, load_training_content


class Command(BaseCommand):
    help = (
        "Load the training modules into Wagtail (idempotent): the catalogue at "
        "/training/, each module by slug, the sense-check workflow and editors' "
        "permissions."
    )

    def handle(self, *args: object, **options: object) -> None:
        try:
            result = load_training_content()
        except ContentError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Training content: {result.summary()}.")
