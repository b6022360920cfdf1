"""Who may see whom: the one scoping layer, for every role."""

from datetime import date

import pytest

from accounts.roles import Role
from tests.factories import (
    CommissioningContractFactory,
    OrganisationFactory,
    StaffProfileFactory,
    UserFactory,
)
from workforce.models import Organisation, StaffProfile

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 3, 15)


@pytest.fixture
def county():
    """Two providers, one commissioner, people in each role."""
    council = OrganisationFactory(
        name="Council", is_commissioner=True, is_provider=True
    )
    charity = OrganisationFactory(name="Charity")
    elsewhere = OrganisationFactory(name="Elsewhere")
    other_commissioner = OrganisationFactory(
        name="Other council", is_commissioner=True, is_provider=False
    )
    CommissioningContractFactory(commissioner=council, provider=council)
    CommissioningContractFactory(commissioner=council, provider=charity)
    CommissioningContractFactory(
        commissioner=council,
        provider=elsewhere,
        starts_on=date(2023, 1, 1),
        ends_on=date(2025, 12, 31),  # ended before AS_OF
    )
    CommissioningContractFactory(commissioner=other_commissioner, provider=elsewhere)

    def person(name, org, *roles, **fields):
        return StaffProfileFactory(
            user=UserFactory(username=name, roles=list(roles)),
            organisation=org,
            **fields,
        )

    people = {}
    people["supervisor"] = person(
        "supervisor", council, Role.SUPERVISOR, Role.PRACTITIONER
    )
    people["practitioner"] = person(
        "practitioner", council, Role.PRACTITIONER, supervisor=people["supervisor"]
    )
    people["colleague"] = person(
        "colleague", council, Role.PRACTITIONER, supervisor=people["supervisor"]
    )
    people["loner"] = person("loner", council, Role.PRACTITIONER)
    people["manager"] = person("manager", council, Role.PROVIDER_MANAGER)
    people["commissioner"] = person("commissioner", council, Role.COMMISSIONER)
    people["editor"] = person("editor", council, Role.CONTENT_EDITOR)
    people["admin"] = person("admin", council, Role.PLATFORM_ADMIN)
    people["charity_worker"] = person("charity_worker", charity, Role.PRACTITIONER)
    people["charity_manager"] = person(
        "charity_manager", charity, Role.PROVIDER_MANAGER
    )
    return {
        "people": people,
        "council": council,
        "charity": charity,
        "elsewhere": elsewhere,
    }


def visible_people(username: str, county) -> set[str]:
    user = county["people"][username].user
    return set(
        StaffProfile.objects.for_user(user).values_list("user__username", flat=True)
    )


def visible_providers(username: str, county) -> set[str]:
    user = county["people"][username].user
    return set(
        Organisation.objects.for_user(user, as_of=AS_OF).values_list("name", flat=True)
    )


class TestPersonScope:
    def test_a_practitioner_sees_only_themself(self, county):
        assert visible_people("practitioner", county) == {"practitioner"}

    def test_a_supervisor_sees_themself_and_their_supervisees_only(self, county):
        assert visible_people("supervisor", county) == {
            "supervisor",
            "practitioner",
            "colleague",
        }

    def test_a_provider_manager_sees_everyone_in_their_organisation_only(self, county):
        council_people = {
            name
            for name, p in county["people"].items()
            if p.organisation == county["council"]
        }
        assert visible_people("manager", county) == council_people
        assert visible_people("charity_manager", county) == {
            "charity_worker",
            "charity_manager",
        }

    def test_a_commissioner_sees_their_own_profile_but_no_one_else_by_name(
        self, county
    ):
        assert visible_people("commissioner", county) == {"commissioner"}

    def test_a_content_editor_sees_only_themself(self, county):
        assert visible_people("editor", county) == {"editor"}

    def test_a_platform_admin_sees_everyone(self, county):
        assert visible_people("admin", county) == set(county["people"])

    def test_a_user_without_a_profile_sees_no_one(self, county):
        stranger = UserFactory(roles=[Role.PROVIDER_MANAGER])
        assert not StaffProfile.objects.for_user(stranger).exists()


class TestOrganisationScope:
    def test_a_commissioner_sees_the_providers_under_active_contracts(self, county):
        assert visible_providers("commissioner", county) == {"Council", "Charity"}

    def test_an_ended_contract_no_longer_gives_sight_of_its_provider(self, county):
        user = county["people"]["commissioner"].user
        back_then = Organisation.objects.for_user(user, as_of=date(2025, 6, 1))
        assert "Elsewhere" in set(back_then.values_list("name", flat=True))

    def test_a_provider_manager_sees_only_their_own_organisation(self, county):
        assert visible_providers("manager", county) == {"Council"}

    @pytest.mark.parametrize("username", ["practitioner", "supervisor", "editor"])
    def test_other_roles_see_no_provider_figures(self, county, username):
        assert visible_providers(username, county) == set()

    def test_a_platform_admin_sees_every_provider(self, county):
        assert visible_providers("admin", county) == {"Council", "Charity", "Elsewhere"}
