"""The home page's Flags panel: open flags on the people a user may see."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from notifications.dashboard import panels_for
from notifications.sweep import run_daily_sweep
from tests.notifications.sweep_world import build_world

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 3, 18)


@pytest.fixture
def world():
    return build_world()


class TestFlagsPanel:
    def test_a_supervisor_sees_their_supervisees_open_flags(self, world, client):
        late = world.supervisee(due_on=AS_OF - timedelta(3))
        run_daily_sweep(as_of=AS_OF)
        client.force_login(world.supervisor.user)

        page = client.get(reverse("home:dashboard")).content.decode()

        assert "1 open flag on people you look after" in page
        assert f"{late.full_name}</a>: supervision due 15 March 2026, overdue" in page
        assert reverse("notifications:flags") in page

    def test_a_provider_manager_sees_flags_in_their_organisation(self, world):
        world.trainee(deadline=AS_OF)
        run_daily_sweep(as_of=AS_OF)

        panels = panels_for(world.provider_manager.user, as_of=AS_OF)

        flags = next(p for p in panels if p.title == "Flags")
        assert flags.context["total"] == 1

    def test_someone_else_in_another_organisation_sees_no_flags(
        self, world, make_person
    ):
        world.trainee(deadline=AS_OF)
        run_daily_sweep(as_of=AS_OF)
        outsider = make_person(Role.SUPERVISOR, Role.PROVIDER_MANAGER)

        panels = panels_for(outsider.user, as_of=AS_OF)

        assert [p.title for p in panels] == []

    def test_a_practitioner_gets_no_flags_panel(self, world):
        person = world.trainee(deadline=AS_OF)
        run_daily_sweep(as_of=AS_OF)

        titles = [p.title for p in panels_for(person.user, as_of=AS_OF)]

        assert "Flags" not in titles

    def test_the_panel_takes_the_same_queries_for_ten_times_the_flags(self, world):
        def queries() -> int:
            user = type(world.supervisor.user).objects.get(pk=world.supervisor.user_id)
            with CaptureQueriesContext(connection) as captured:
                panels_for(user, as_of=AS_OF)
            return len(captured)

        world.supervisee(due_on=AS_OF - timedelta(2))
        run_daily_sweep(as_of=AS_OF)
        one = queries()
        for n in range(10):
            world.trainee(deadline=AS_OF - timedelta(n))
        run_daily_sweep(as_of=AS_OF + timedelta(1))

        assert queries() == one
