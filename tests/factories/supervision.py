from datetime import date

import factory

from supervision.models import (
    PolicyStage,
    SessionAttendance,
    SupervisionPolicy,
    SupervisionSession,
)
from tests.factories.workforce import StaffProfileFactory


class SupervisionPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupervisionPolicy

    name = factory.Sequence(lambda n: f"Policy {n}")
    is_default = False


class PolicyStageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PolicyStage

    policy = factory.SubFactory(SupervisionPolicyFactory)
    position = 1
    interval_days = 28


class SupervisionSessionFactory(factory.django.DjangoModelFactory):
    """A session; pass ``attendees=[profile, ...]`` to add supervisees."""

    class Meta:
        model = SupervisionSession
        skip_postgeneration_save = True

    supervisor = factory.SubFactory(StaffProfileFactory)
    held_on = date(2026, 3, 1)
    duration_minutes = 90
    format = SupervisionSession.Format.ONE_TO_ONE
    state = SupervisionSession.State.FINALISED
    experience = "A home visit that went better than expected."

    @factory.post_generation
    def attendees(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if create and extracted:
            SessionAttendance.objects.bulk_create(
                [SessionAttendance(session=self, person=person) for person in extracted]
            )
