from django.db import migrations, models
from django.db.models import Count, Min


def drop_same_day_repeats(apps, schema_editor):
    """Keep the first completion of each person, module and day; drop the repeats.

    Repeats came from parallel submissions of the same check; their attempts stay.
    If only a repeat has feedback, that feedback moves to the kept completion.
    """
    Completion = apps.get_model("learning", "Completion")
    Feedback = apps.get_model("learning", "Feedback")
    groups = (
        Completion.objects.values("person_id", "module_id", "completed_on")
        .annotate(n=Count("pk"), keep=Min("pk"))
        .filter(n__gt=1)
    )
    for group in groups:
        repeats = Completion.objects.filter(
            person_id=group["person_id"],
            module_id=group["module_id"],
            completed_on=group["completed_on"],
        ).exclude(pk=group["keep"])
        if not Feedback.objects.filter(completion_id=group["keep"]).exists():
            moved = Feedback.objects.filter(completion__in=repeats).first()
            if moved is not None:
                moved.completion_id = group["keep"]
                moved.save(update_fields=["completion"])
        repeats.delete()


class Migration(migrations.Migration):
    dependencies = [("learning", "0003_question_banks")]

    operations = [
        migrations.RunPython(drop_same_day_repeats, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="completion",
            constraint=models.UniqueConstraint(
                fields=("person", "module", "completed_on"),
                name="one_completion_per_person_module_day",
            ),
        ),
    ]
