from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth.models import Group

from accounts.models import User
from accounts.roles import Role
from workforce.models import (
    CaseloadSnapshot,
    CommissioningContract,
    JobRole,
    Organisation,
    StaffProfile,
    Team,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}@example.org")
    email = factory.SelfAttribute("username")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def roles(
        self, create: bool, extracted: list[Role] | None, **kwargs: object
    ) -> None:
        """Put the user in the groups of these roles: ``UserFactory(roles=[...])``."""
        if create and extracted:
            self.groups.add(
                *(Group.objects.get_or_create(name=role.value)[0] for role in extracted)
            )


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Provider {n}")
    slug = factory.Sequence(lambda n: f"provider-{n}")
    is_provider = True
    is_commissioner = False


class CommissioningContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommissioningContract

    commissioner = factory.SubFactory(
        OrganisationFactory, is_commissioner=True, is_provider=False
    )
    provider = factory.SubFactory(OrganisationFactory)
    service = "CSE support"
    starts_on = date(2024, 1, 1)
    ends_on = None
    caseload_threshold_per_fte = Decimal("15.0")
    expected_worker_manager_ratio = Decimal("8.0")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class JobRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobRole
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Role {n}")
    slug = factory.Sequence(lambda n: f"role-{n}")
    is_frontline = True
    is_manager = False


class StaffProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffProfile

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    team = factory.SubFactory(
        TeamFactory, organisation=factory.SelfAttribute("..organisation")
    )
    job_role = factory.SubFactory(JobRoleFactory)
    started_in_role = date(2024, 1, 1)
    fte = Decimal("1.00")


class CaseloadSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseloadSnapshot

    person = factory.SubFactory(StaffProfileFactory)
    taken_on = date(2025, 1, 31)
    open_cases = 12
