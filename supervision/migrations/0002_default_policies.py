"""Seed the default supervision policies (platform admins can edit them later)."""

from django.db import migrations


def create_default_policies(apps, schema_editor):
    Policy = apps.get_model("supervision", "SupervisionPolicy")
    Stage = apps.get_model("supervision", "PolicyStage")
    JobRole = apps.get_model("workforce", "JobRole")
    if not Policy.objects.filter(is_default=True).exists():
        default = Policy.objects.create(
            name="Frontline practitioners (default)", is_default=True
        )
        Stage.objects.create(policy=default, position=1, interval_days=28)
    nqsw = JobRole.objects.filter(slug="nqsw").first()
    if nqsw and not Policy.objects.filter(job_role=nqsw).exists():
        policy = Policy.objects.create(
            name="Newly qualified social workers (ASYE)",
            job_role=nqsw,
            stages_follow="qualified",
        )
        Stage.objects.create(
            policy=policy, position=1, interval_days=7, ends_after=6,
            ends_after_unit="weeks",
        )
        Stage.objects.create(
            policy=policy, position=2, interval_days=14, ends_after=6,
            ends_after_unit="months",
        )
        Stage.objects.create(policy=policy, position=3, interval_days=28)


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]

    operations = [
        migrations.RunPython(create_default_policies, migrations.RunPython.noop)
    ]
