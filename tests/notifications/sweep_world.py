"""A small organisation to sweep: managers, a training rule and a supervision policy.

People in the training role have one requirement first due on the day they start
(so ``trainee(deadline=...)`` sets the deadline) and no supervision policy; people in
the supervision role have a 28-day policy (due soon 7 days before, first escalation
14 days after, second at twice the interval) and no training.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection, transaction

from accounts.roles import Role
from learning.models import Requirement, TrainingStatus
from notifications.models import Flag, FlagKind, Notification
from supervision.models import SupervisionAgreement, SupervisionStatus
from tests.factories import JobRoleFactory, OrganisationFactory, UserFactory
from tests.factories.learning import RequirementFactory
from tests.factories.supervision import PolicyStageFactory, SupervisionPolicyFactory
from tests.factories.workforce import StaffProfileFactory
from workforce.dates import add_months
from workforce.models import JobRole, Organisation, StaffProfile

INTERVAL_DAYS = 28


@dataclass
class World:
    organisation: Organisation
    provider_manager: StaffProfile
    line_manager: StaffProfile
    supervisor: StaffProfile
    training_role: JobRole
    supervision_role: JobRole
    requirement: Requirement

    def staff(self, role: JobRole, started: date, **fields: object) -> StaffProfile:
        """Someone in ``role`` from ``started``, with a supervision agreement made
        that day if they have a supervisor (so no agreement flag distracts)."""
        person = StaffProfileFactory(
            user=UserFactory(roles=[Role.PRACTITIONER]),
            organisation=self.organisation,
            job_role=role,
            started_in_role=started,
            **{"supervisor": self.supervisor, **fields},
        )
        if person.supervisor is not None:
            SupervisionAgreement.objects.create(
                supervisee=person,
                supervisor=person.supervisor,
                frequency="Every four weeks",
                place="Office",
                confidentiality="Between us, within safeguarding limits.",
                missed_sessions="Rebooked within five working days.",
                agreed_on=started,
                review_due_on=add_months(started, 12),
            )
        return person

    def trainee(self, *, deadline: date, **fields: object) -> StaffProfile:
        """Someone whose one training requirement is first due on ``deadline``."""
        return self.staff(self.training_role, deadline, **fields)

    def supervisee(self, *, due_on: date, **fields: object) -> StaffProfile:
        """Someone with no sessions yet whose first supervision is due on ``due_on``
        (with nothing booked, the booking control flags them while due soon)."""
        return self.staff(
            self.supervision_role, due_on - timedelta(days=INTERVAL_DAYS), **fields
        )


def build_world() -> World:
    organisation = OrganisationFactory()
    managers = JobRoleFactory(is_frontline=False, is_manager=True)

    def manager(*roles: Role, **fields: object) -> StaffProfile:
        return StaffProfileFactory(
            user=UserFactory(roles=list(roles)),
            organisation=organisation,
            job_role=managers,
            **fields,
        )

    provider_manager = manager(Role.PROVIDER_MANAGER)
    line_manager = manager(Role.SUPERVISOR)
    supervisor = manager(Role.SUPERVISOR, line_manager=line_manager)
    # Not frontline, so the default supervision policy leaves trainees alone.
    training_role = JobRoleFactory(is_frontline=False)
    supervision_role = JobRoleFactory()
    requirement = RequirementFactory(
        job_roles=[training_role], initial_due_days=0, renewal_months=12
    )
    policy = SupervisionPolicyFactory(
        job_role=supervision_role, due_soon_days=7, first_escalation_days=14
    )
    PolicyStageFactory(policy=policy, interval_days=INTERVAL_DAYS)
    return World(
        organisation=organisation,
        provider_manager=provider_manager,
        line_manager=line_manager,
        supervisor=supervisor,
        training_role=training_role,
        supervision_role=supervision_role,
        requirement=requirement,
    )


def snapshot() -> dict[str, set[tuple]]:
    """Everything the sweep decides, without ids or timestamps."""
    return {
        "training": set(
            TrainingStatus.objects.values_list(
                "person_id", "requirement_id", "deadline", "exception_kind"
            )
        ),
        "supervision": set(
            SupervisionStatus.objects.values_list("person_id", "due_on", "escalate_on")
        ),
        "flags": set(
            Flag.objects.values_list(
                "person_id", "kind", "requirement_id", "level", "deadline", "closed_on"
            )
        ),
        "outbox": set(
            Notification.objects.values_list(
                "recipient_id",
                "kind",
                "subject_person_id",
                "key_date",
                "subject",
                "digest__key_date",  # which day's summary carried it, if one did
            )
        ),
    }


class _Rollback(Exception):
    pass


@contextmanager
def flag_held(person: StaffProfile, day: date) -> Iterator[None]:
    """Hold an uncommitted supervision flag for ``person`` in another connection.

    A sweep chunk that reaches this person waits on the insert, so a worker can be
    caught mid-chunk (after its status writes) and killed there. The flag is
    rolled back when the block ends.
    """
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Flag.objects.create(
                    person=person,
                    kind=FlagKind.SUPERVISION,
                    deadline=day,
                    opened_on=day,
                )
                holding.set()
                release.wait(60)
                raise _Rollback
        except _Rollback:
            pass
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        yield
    finally:
        release.set()
        holder.join(timeout=30)


def populate(world: World, day: date, *, people: int = 12) -> None:
    """A mix of people overdue, escalated, due soon and in date, over several chunks."""
    for n in range(people):
        if n % 3 == 0:
            world.supervisee(due_on=day - timedelta(1 + 7 * (n % 5)))
        elif n % 3 == 1:
            world.trainee(deadline=day - timedelta(n))
        else:
            world.supervisee(due_on=day + timedelta(n % 8))


def overdue_supervisee_between(
    world: World, lo: int, hi: int, day: date
) -> StaffProfile:
    """Someone in the chunk ``lo..hi`` whose supervision is overdue on ``day``, so
    that chunk writes their flag."""
    return next(
        p
        for p in world.organisation.staff.order_by("pk")
        if lo <= p.pk <= hi
        and p.job_role == world.supervision_role
        and p.started_in_role <= day - timedelta(29)
    )
