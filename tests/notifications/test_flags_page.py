"""The flags page: every open flag on the people the viewer may see, most urgent
first, filtered by kind, status and team, each name linking to the person."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.roles import Role
from notifications.models import Flag
from notifications.sweep import run_daily_sweep
from tests.factories import TeamFactory
from tests.notifications.sweep_world import build_world
from workforce.dates import today

pytestmark = pytest.mark.django_db

URL = reverse("notifications:flags")


@pytest.fixture
def world():
    return build_world()


def names_in_order(html: str) -> list[str]:
    return re.findall(
        r'<th scope="row"[^>]*><a class="govuk-link" [^>]*>([^<]+)</a>', html
    )


class TestWhoSeesWhat:
    def test_a_supervisor_sees_their_supervisees_flags_with_links(self, world, client):
        as_of = today()
        late = world.trainee(deadline=as_of - timedelta(4))
        run_daily_sweep(as_of=as_of)
        client.force_login(world.supervisor.user)

        response = client.get(URL)

        page = response.content.decode()
        assert response.status_code == 200
        link = reverse("learning:person_training", args=[late.pk])
        assert f'href="{link}">{late.full_name}</a>' in page
        assert re.search(r"numeric\">4</td>", page), "days overdue shown"
        assert client.get(link).status_code == 200, "the link works"

    def test_a_practitioner_may_not_open_the_page(self, world, client):
        person = world.trainee(deadline=today())
        client.force_login(person.user)

        assert client.get(URL).status_code == 403

    def test_someone_in_another_organisation_sees_none(
        self, world, client, make_person
    ):
        as_of = today()
        world.trainee(deadline=as_of - timedelta(1))
        run_daily_sweep(as_of=as_of)
        outsider = make_person(Role.SUPERVISOR, Role.PROVIDER_MANAGER)
        client.force_login(outsider.user)

        page = client.get(URL).content.decode()

        assert names_in_order(page) == []
        assert "No open flags" in page


class TestOrderAndFilters:
    def test_escalated_supervision_comes_before_longer_overdue_training(
        self, world, client
    ):
        as_of = today()
        training = world.trainee(deadline=as_of - timedelta(25))
        escalated = world.supervisee(due_on=as_of - timedelta(20))
        recent = world.trainee(deadline=as_of - timedelta(2))
        run_daily_sweep(as_of=as_of)
        client.force_login(world.provider_manager.user)

        urgency = names_in_order(client.get(URL).content.decode())
        overdue = names_in_order(client.get(URL, {"sort": "overdue"}).content.decode())

        assert urgency == [escalated.full_name, training.full_name, recent.full_name]
        assert overdue == [training.full_name, escalated.full_name, recent.full_name]

    def test_filters_by_kind_status_and_team(self, world, client):
        as_of = today()
        team = TeamFactory(organisation=world.organisation)
        in_team = world.trainee(deadline=as_of - timedelta(3), team=team)
        world.trainee(deadline=as_of - timedelta(3))
        escalated = world.supervisee(due_on=as_of - timedelta(20))
        run_daily_sweep(as_of=as_of)
        client.force_login(world.provider_manager.user)

        def names(**query):
            return names_in_order(client.get(URL, query).content.decode())

        assert len(names()) == 3
        assert sorted(names(sort="name"), key=lambda n: n.split()[-1]) == names(
            sort="name"
        )
        assert names(kind="supervision") == [escalated.full_name]
        assert names(level="escalated") == [escalated.full_name]
        assert names(team=team.pk) == [in_team.full_name]

    @pytest.mark.parametrize(
        "query",
        [
            {"kind": "<script>alert(1)</script>"},
            {"team": "=cmd|' /C calc'!A0"},
            {"team": "99999999999999999999999"},
            {"sort": "person__user__password"},
        ],
    )
    def test_a_bad_filter_is_reported_beside_the_field_never_a_500(
        self, world, client, query
    ):
        client.force_login(world.provider_manager.user)

        response = client.get(URL, query)

        page = response.content.decode()
        assert response.status_code == 400
        assert "govuk-error-message" in page
        assert "<script>alert(1)</script>" not in page

    def test_pages_of_25_keep_the_filters(self, world, client):
        as_of = today()
        for days in range(30):
            world.trainee(deadline=as_of - timedelta(days + 1))
        run_daily_sweep(as_of=as_of)
        assert Flag.objects.open().filter(kind="training").count() == 30
        client.force_login(world.supervisor.user)

        first = client.get(URL, {"kind": "training"}).content.decode()
        second = client.get(URL, {"kind": "training", "page": 2}).content.decode()
        beyond = client.get(URL, {"kind": "training", "page": "999"})

        assert len(names_in_order(first)) == 25
        assert len(names_in_order(second)) == 5
        assert "kind=training&amp;page=2" in first
        assert set(names_in_order(first)).isdisjoint(names_in_order(second))
        assert beyond.status_code == 200


def test_the_home_panel_shows_10_and_links_to_all(world, client):
    as_of = today()
    for days in range(15):
        world.trainee(deadline=as_of - timedelta(days + 1))
    run_daily_sweep(as_of=as_of)
    client.force_login(world.supervisor.user)

    page = client.get(reverse("home:dashboard")).content.decode()

    assert "15 open flags on people you look after, the 10 longest overdue" in page
    assert f'<a class="govuk-link" href="{URL}">See all 15 flags</a>' in page
