"""The demo county and each role's home page."""

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from accounts.models import User
from workforce.demo import DEMO_LOGINS, DEMO_PASSWORD
from workforce.models import CommissioningContract, Organisation, StaffProfile

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--quiet-logins")


class TestSeedDemo:
    def test_the_county_has_four_commissioned_providers_and_sixty_people(self, demo):
        county = Organisation.objects.get(slug="northshire")
        commissioned = CommissioningContract.objects.filter(commissioner=county)
        assert commissioned.values("provider").distinct().count() >= 4
        assert StaffProfile.objects.count() >= 60
        roles = set(StaffProfile.objects.values_list("job_role__name", flat=True))
        assert {"Foster carer", "Team manager", "Residential care worker"} <= roles

    def test_a_second_run_adds_no_one(self, demo):
        people = StaffProfile.objects.count()

        call_command("seed_demo", "--quiet-logins")

        assert StaffProfile.objects.count() == people

    def test_the_supervisor_supervises_the_practitioner(self, demo):
        practitioner = StaffProfile.objects.get(user__username="practitioner")
        assert practitioner.supervisor.user.username == "supervisor"

    @override_settings(SETTINGS_MODULE="config.settings.production", DEBUG=False)
    def test_it_refuses_to_run_with_production_settings(self, db):
        with pytest.raises(CommandError, match="refuses to run with production"):
            call_command("seed_demo")


class TestHomePage:
    def test_each_demo_login_signs_in_and_reaches_their_home_page(self, client, demo):
        # One seed for all six logins: the demo county takes a while to build.
        for username, first_name, *_ in DEMO_LOGINS:
            client.logout()
            response = client.post(
                reverse("accounts:login"),
                {"username": username, "password": DEMO_PASSWORD},
            )
            assert response.status_code == 302, username

            page = client.get(reverse("home:dashboard"))

            assert page.status_code == 200, username
            assert f"Hello, {first_name}" in page.content.decode()

    def test_an_unknown_address_shows_the_not_found_page(self, client, demo):
        client.force_login(User.objects.get(username="practitioner"))

        response = client.get("/no-such-page/")

        assert response.status_code == 404
        assert "Page not found" in response.content.decode()
