"""Lists of people: search, sort, filter and pages, at a size a large provider has."""

import re
from datetime import date, timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from home import listing
from learning.services import sync_training_status
from supervision.services import sync_supervision_status
from tests.factories import JobRoleFactory, TeamFactory
from tests.factories.learning import CompletionFactory, RequirementFactory
from tests.factories.supervision import SupervisionSessionFactory
from workforce.dates import today
from workforce.models import StaffProfile

pytestmark = pytest.mark.django_db

PASSWORD = make_password("correct horse battery staple")


def shown_names(page: str) -> list[str]:
    """The names in the table's row headers, in the order the page shows them."""
    return re.findall(
        r'<th scope="row" class="govuk-table__header"><a [^>]*>([^<]+)</a>', page
    )


class Crowd:
    """A provider with a manager, a supervisor and as many supervisees as asked."""

    def __init__(self, make_person):
        self.role = JobRoleFactory(slug="social-worker", name="Social worker")
        self.other_role = JobRoleFactory(slug="family-worker", name="Family worker")
        self.supervisor = make_person(
            Role.SUPERVISOR, Role.PRACTITIONER, job_role=self.role
        )
        self.organisation = self.supervisor.organisation
        self.north = self.supervisor.team
        self.south = TeamFactory(organisation=self.organisation, name="South")
        self.manager = make_person(
            Role.PROVIDER_MANAGER, organisation=self.organisation, team=self.north
        )
        self.requirement = RequirementFactory(job_roles=[self.role, self.other_role])
        self.count = 0

    def grow(self, to: int) -> None:
        """Add supervisees (in bulk, as a roster would) until there are ``to``."""
        start = self.count
        users = User.objects.bulk_create(
            User(
                username=f"crowd{n}@example.org",
                email=f"crowd{n}@example.org",
                first_name=f"Given{n:04d}",
                last_name=f"Family{n:04d}",
                password=PASSWORD,
            )
            for n in range(start, to)
        )
        StaffProfile.objects.bulk_create(
            StaffProfile(
                user=user,
                organisation=self.organisation,
                team=self.north if n % 2 else self.south,
                job_role=self.role if n % 3 else self.other_role,
                supervisor=self.supervisor,
                started_in_role=date(2024, 1, 1),
                fte=1,
            )
            for n, user in zip(range(start, to), users, strict=True)
        )
        self.count = to
        sync_training_status(as_of=today())
        sync_supervision_status(as_of=today())


@pytest.fixture
def crowd(make_person):
    return Crowd(make_person)


LISTS = [
    ("supervisor", "supervision:supervisor_dashboard", []),
    ("manager", "supervision:manager_view", []),
    ("manager", "learning:team_matrix", []),
    ("manager", "commissioning:provider_people", ["organisation"]),
]


def url_of(crowd, name, args):
    return reverse(name, args=[crowd.organisation.pk] if args else [])


def viewer(crowd, who):
    return getattr(crowd, who).user


class TestAtScale:
    @pytest.mark.parametrize(("who", "name", "args"), LISTS)
    def test_a_500_person_list_pages_searches_and_sorts_with_the_queries_of_50(
        self, client, crowd, who, name, args
    ):
        client.force_login(viewer(crowd, who))
        url = url_of(crowd, name, args)
        crowd.grow(50)
        client.get(url)
        with CaptureQueriesContext(connection) as small:
            assert client.get(url).status_code == 200
        crowd.grow(500)
        with CaptureQueriesContext(connection) as large:
            page = client.get(url).content.decode()
        assert len(large) == len(small), [q["sql"] for q in large]
        assert re.search(r"Showing 1 to 50 of 50\d people", page)
        assert len(shown_names(page)) == 50
        assert 'class="govuk-pagination"' in page

        # Page 3 of sorted names: the 101st to 150th in alphabetical order.
        with CaptureQueriesContext(connection) as paged:
            third = client.get(url, {"sort": "name", "page": 3}).content.decode()
        assert len(paged) == len(small)
        names = shown_names(third)
        assert names[0] == "Given0100 Family0100"
        assert names == sorted(names)
        assert 'aria-current="page">3<' in third

        # A search finds one person by any case of their name, with the same queries.
        with CaptureQueriesContext(connection) as searched:
            found = client.get(url, {"q": "given0321  FAMILY0321"}).content.decode()
        assert len(searched) == len(small)
        assert shown_names(found) == ["Given0321 Family0321"]
        assert "Showing 1 to 1 of 1 people" in found

        # A team filter keeps that team only.
        south = client.get(url, {"team": crowd.south.pk, "q": "given"}).content.decode()
        assert re.search(r"of 250 people", south)

    @pytest.mark.parametrize(("who", "name", "args"), LISTS)
    def test_hostile_parameters_are_shown_back_safely_and_never_fail(
        self, client, crowd, who, name, args
    ):
        crowd.grow(3)
        client.force_login(viewer(crowd, who))
        url = url_of(crowd, name, args)
        for params in (
            {"page": "9999"},
            {"page": "-1"},
            {"page": "abc"},
            {"sort": "'; drop table"},
            {"team": "999999"},
            {"status": "<script>"},
            {"q": "<script>alert(1)</script>"},
            {"q": "x" * 5000},
        ):
            response = client.get(url, params)
            assert response.status_code == 200, params
            assert "<script>alert(1)</script>" not in response.content.decode()
        assert "No people match" in client.get(url, {"q": "<script>"}).content.decode()


class TestUrgencyFirst:
    def test_supervisees_who_are_late_come_before_those_in_date(
        self, client, crowd, make_person
    ):
        crowd.grow(3)
        seen = StaffProfile.objects.get(user__first_name="Given0001")
        SupervisionSessionFactory(
            supervisor=crowd.supervisor,
            held_on=today() - timedelta(days=2),
            attendees=[seen],
        )
        sync_supervision_status(as_of=today())
        client.force_login(crowd.supervisor.user)
        page = client.get(reverse("supervision:supervisor_dashboard")).content.decode()
        names = shown_names(page)
        assert names[-1] == "Given0001 Family0001"
        by_name = client.get(
            reverse("supervision:supervisor_dashboard"), {"sort": "name"}
        ).content.decode()
        assert shown_names(by_name)[:2] == [
            "Given0000 Family0000",
            "Given0001 Family0001",
        ]

    def test_team_training_puts_overdue_people_first(self, client, crowd):
        crowd.grow(3)
        done = StaffProfile.objects.exclude(user__first_name="Given0002").filter(
            supervisor=crowd.supervisor
        )
        for person in done:
            CompletionFactory(
                person=person,
                module=crowd.requirement.module,
                completed_on=today() - timedelta(days=1),
            )
        # Given0002 started long ago and never completed: overdue.
        sync_training_status(as_of=today())
        client.force_login(crowd.manager.user)
        page = client.get(reverse("learning:team_matrix")).content.decode()
        assert shown_names(page)[0] == "Given0002 Family0002"


class TestPaginationLinks:
    def links(self, page, last):
        request = RequestFactory().get("/", {"page": page, "q": "a b"})
        result = listing.paginate(
            request,
            range(last * 10),
            sorts={"n": listing.Sort("Number", lambda n: n)},
            default_sort="n",
            per_page=10,
        )
        return result, [link.number for link in result.links]

    def test_first_last_and_neighbours_with_ellipses_between(self):
        result, numbers = self.links(5, 10)
        assert numbers == [1, None, 4, 5, 6, None, 10]
        assert result.previous_url == "?page=4&q=a+b"
        assert result.next_url == "?page=6&q=a+b"

    def test_the_first_page_has_no_previous_and_drops_the_page_number(self):
        result, numbers = self.links(2, 3)
        assert numbers == [1, 2, 3]
        assert result.previous_url == "?q=a+b"

    def test_one_page_needs_no_pagination(self):
        result, numbers = self.links(1, 1)
        assert numbers == []
        assert result.next_url == result.previous_url == ""
