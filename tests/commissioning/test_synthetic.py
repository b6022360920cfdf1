"""The synthetic county generator used by the benchmarks."""

import pytest
from django.core.management import CommandError, call_command

from learning.models import Completion, Requirement, TrainingStatus
from supervision.models import SupervisionStatus
from workforce.models import Organisation, StaffProfile

pytestmark = pytest.mark.django_db


class TestGenerateCounty:
    def test_it_builds_providers_people_and_their_status_rows(self, capsys):
        call_command("generate_county", "--providers", "2", "--people", "13")

        providers = Organisation.objects.filter(slug__startswith="synthetic-provider-")
        people = StaffProfile.objects.filter(organisation__in=providers)
        assert providers.count() == 2
        assert people.count() == 26
        assert people.filter(supervisor__isnull=False).count() == 24
        frontline = people.filter(job_role__is_frontline=True)
        assert TrainingStatus.objects.filter(person__in=frontline).count() == (
            frontline.count() * Requirement.objects.count()
        )
        assert SupervisionStatus.objects.filter(person__in=people).count() == 26
        assert "2 providers, 26 people" in capsys.readouterr().out

    def test_requirements_are_made_up_to_the_number_asked_for(self):
        call_command(
            "generate_county",
            "--providers",
            "1",
            "--people",
            "4",
            "--requirements",
            "8",
            "--years",
            "5",
            "--as-of",
            "2026-03-01",
        )

        assert Requirement.objects.count() == 8
        people = StaffProfile.objects.filter(
            organisation__slug__startswith="synthetic-provider-"
        )
        # Five years of renewals: most people complete most modules more than once.
        assert Completion.objects.filter(person__in=people).count() > 4 * 8

    def test_a_second_county_in_the_same_database_is_refused(self):
        call_command("generate_county", "--providers", "1", "--people", "3")

        with pytest.raises(CommandError, match="already exists"):
            call_command("generate_county", "--providers", "1", "--people", "3")
