"""Factories for commissioning: snapshots, and a small county with known figures.

``build_county`` makes the hand-computed fixture the report tests assert exactly;
``grow`` adds the same mix of people again, for query-count tests at 10x.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import factory

from accounts.roles import Role
from commissioning.models import MetricSnapshot
from learning.models import Requirement, TrainingStatus
from supervision.models import SessionAttendance, SupervisionSession, SupervisionStatus
from supervision.services import store_check_in_scores
from tests.factories.learning import RequirementFactory
from tests.factories.supervision import SupervisionSessionFactory
from tests.factories.workforce import (
    CaseloadSnapshotFactory,
    CommissioningContractFactory,
    JobRoleFactory,
    OrganisationFactory,
    StaffProfileFactory,
    TeamFactory,
    UserFactory,
)
from workforce.models import Organisation, StaffProfile, Team


class MetricSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MetricSnapshot

    provider = factory.SubFactory(OrganisationFactory)
    metric = "caseload.mean_caseload"
    month = date(2026, 2, 1)
    value = Decimal("12.50")


def d(text: str) -> date:
    return date.fromisoformat(text)


@dataclass
class County:
    """The fixture: who is where, for tests to log in as and look up."""

    commissioner: StaffProfile
    manager: StaffProfile
    alpha: Organisation
    beta: Organisation
    gamma: Organisation
    team_a1: Team
    team_a2: Team
    requirement: Requirement
    workers: list[StaffProfile] = field(default_factory=list)


TRAINING_DATES = dict.fromkeys(
    ("last_completed_on", "valid_until", "deadline", "due_soon_from", "exception_until")
)
LADDER_DATES = dict.fromkeys(
    (
        "policy",
        "last_session_on",
        "anchor_on",
        "interval_days",
        "due_on",
        "due_soon_from",
        "escalate_on",
        "escalate_twice_on",
    )
)


def _training(person: StaffProfile, requirement: Requirement, **dates: object) -> None:
    """Set a status row's dates exactly (learning may have made the row already)."""
    TrainingStatus.objects.update_or_create(
        person=person,
        requirement=requirement,
        defaults={**TRAINING_DATES, "exception_kind": "", **dates},
    )


def _not_required(person: StaffProfile) -> None:
    SupervisionStatus.objects.update_or_create(person=person, defaults=LADDER_DATES)


def _ladder(person: StaffProfile, last: str, due: str, soon: str, esc: str, esc2: str):
    SupervisionStatus.objects.update_or_create(
        person=person,
        defaults={
            **LADDER_DATES,
            "last_session_on": d(last),
            "anchor_on": d(last),
            "interval_days": 28,
            "due_on": d(due),
            "due_soon_from": d(soon),
            "escalate_on": d(esc),
            "escalate_twice_on": d(esc2),
        },
    )


def _session(supervisor, held_on, people, *, wellbeing, state="finalised", scores=()):
    session = SupervisionSessionFactory(
        supervisor=supervisor,
        held_on=d(held_on),
        wellbeing_discussed=wellbeing,
        state=state,
        wellbeing_notes="PRIVATE-WELLBEING-NOTE",
        feelings="PRIVATE-FEELINGS",
    )
    for index, person in enumerate(people):
        impact, prompt = scores[index] if index < len(scores) else (None, False)
        SessionAttendance.objects.create(
            session=session,
            person=person,
            impact_score=impact,
            support_prompt=prompt,
            supervisee_reflection="PRIVATE-REFLECTION",
        )
    store_check_in_scores(session_ids=[session.pk], include_closed=True)
    return session


def build_county() -> County:
    """Build the small county whose figures the tests compute by hand (as of 15/3/26).

    Alpha (threshold 10 per FTE, expects 4 workers per manager):
      team A1: w1..w4 (1.0 FTE) and a team manager (frontline manager, 1.0 FTE)
      team A2: w5 (1.0 FTE), w6 (0.5 FTE); and one leaver (not counted)
    Beta is commissioned too; Gamma belongs to another commissioner.
    """
    county = OrganisationFactory(name="County", is_commissioner=True, is_provider=False)
    other = OrganisationFactory(
        name="Other council", is_commissioner=True, is_provider=False
    )
    alpha = OrganisationFactory(name="Alpha")
    beta = OrganisationFactory(name="Beta")
    gamma = OrganisationFactory(name="Gamma")
    CommissioningContractFactory(
        commissioner=county,
        provider=alpha,
        caseload_threshold_per_fte=Decimal("10.0"),
        expected_worker_manager_ratio=Decimal("4.0"),
    )
    CommissioningContractFactory(commissioner=county, provider=beta)
    CommissioningContractFactory(commissioner=other, provider=gamma)

    worker = JobRoleFactory(slug="social-worker", name="Social worker")
    team_manager = JobRoleFactory(
        slug="team-manager", name="Team manager", is_manager=True
    )
    officer = JobRoleFactory(
        slug="commissioning-officer", name="Commissioning officer", is_frontline=False
    )
    team_a1 = TeamFactory(organisation=alpha, name="A1")
    team_a2 = TeamFactory(organisation=alpha, name="A2")
    commissioner = StaffProfileFactory(
        user=UserFactory(username="commissioner", roles=[Role.COMMISSIONER]),
        organisation=county,
        team=None,
        job_role=officer,
    )
    manager = StaffProfileFactory(
        user=UserFactory(
            username="manager", first_name="Mona", roles=[Role.PROVIDER_MANAGER]
        ),
        organisation=alpha,
        team=None,
        job_role=officer,
    )
    boss = StaffProfileFactory(organisation=alpha, team=team_a1, job_role=team_manager)
    workers = [
        StaffProfileFactory(
            user=UserFactory(first_name=f"Worker{n}", last_name="Zedworker"),
            organisation=alpha,
            team=team_a1 if n <= 4 else team_a2,
            job_role=worker,
            fte=Decimal("0.5") if n == 6 else Decimal("1.0"),
        )
        for n in range(1, 7)
    ]
    w1, w2, w3, w4, w5, w6 = workers
    leaver = StaffProfileFactory(
        organisation=alpha, team=team_a2, job_role=worker, left_on=d("2026-01-01")
    )
    StaffProfileFactory(organisation=beta, job_role=worker)
    StaffProfileFactory(organisation=gamma, job_role=worker)

    # Caseloads: the latest snapshot after 29 January 2026 counts.
    for person, taken_on, cases in [
        (w1, "2026-01-20", 20),  # too old, and superseded anyway
        (w1, "2026-02-28", 8),
        (w2, "2026-02-28", 12),  # over 10
        (w3, "2026-02-28", 10),  # exactly 10: not over
        (w4, "2026-03-10", 11),  # over 10
        (w5, "2025-12-31", 30),  # too old: no recent figure
        (w6, "2026-02-28", 6),  # over 5 (10 x 0.5 FTE)
        (boss, "2026-02-28", 4),
        (leaver, "2026-02-28", 40),  # left: not counted
    ]:
        CaseloadSnapshotFactory(person=person, taken_on=d(taken_on), open_cases=cases)

    requirement = RequirementFactory(job_roles=[worker])
    _training(  # in date, expires in 78 days
        w1,
        requirement,
        first_due_on=d("2024-04-01"),
        last_completed_on=d("2025-06-01"),
        valid_until=d("2026-06-01"),
        deadline=d("2026-06-01"),
        due_soon_from=d("2026-05-02"),
    )
    _training(  # due soon, expires in 17 days
        w2,
        requirement,
        first_due_on=d("2024-04-01"),
        last_completed_on=d("2025-04-01"),
        valid_until=d("2026-04-01"),
        deadline=d("2026-04-01"),
        due_soon_from=d("2026-03-02"),
    )
    _training(  # never completed, overdue
        w3,
        requirement,
        first_due_on=d("2026-01-01"),
        deadline=d("2026-01-01"),
        due_soon_from=d("2025-12-02"),
    )
    _training(  # exempt: left out of "applies"
        w4,
        requirement,
        first_due_on=d("2026-01-01"),
        deadline=d("2026-01-01"),
        due_soon_from=d("2025-12-02"),
        exception_kind="exempt",
    )
    _training(  # completion expired: overdue
        w5,
        requirement,
        first_due_on=d("2024-04-01"),
        last_completed_on=d("2025-01-10"),
        valid_until=d("2026-01-10"),
        deadline=d("2026-01-10"),
        due_soon_from=d("2025-12-11"),
    )
    _training(  # new starter, not yet due
        w6,
        requirement,
        first_due_on=d("2026-06-01"),
        deadline=d("2026-06-01"),
        due_soon_from=d("2026-05-02"),
    )

    _ladder(w1, "2026-03-01", "2026-03-29", "2026-03-22", "2026-04-12", "2026-04-26")
    _ladder(w2, "2026-02-20", "2026-03-20", "2026-03-13", "2026-04-03", "2026-04-17")
    _ladder(w3, "2026-02-01", "2026-03-01", "2026-02-22", "2026-03-15", "2026-03-29")
    _ladder(w4, "2026-01-01", "2026-01-29", "2026-01-22", "2026-02-12", "2026-02-26")
    _ladder(w5, "2026-02-10", "2026-03-10", "2026-03-03", "2026-03-24", "2026-04-07")
    for person in (w6, boss, manager):  # no policy: not required
        _not_required(person)

    _session(
        boss, "2026-03-01", [w1, w2], wellbeing=True, scores=[(8, True), (3, False)]
    )
    _session(boss, "2026-02-20", [w3], wellbeing=False, scores=[(5, False)])
    _session(boss, "2026-02-10", [w4], wellbeing=True, scores=[(2, False)])
    _session(boss, "2026-02-01", [w5], wellbeing=False)
    _session(boss, "2026-03-05", [w5], wellbeing=False, scores=[(7, True)])
    _session(boss, "2025-10-01", [w1], wellbeing=True, scores=[(9, True)])  # too old
    _session(boss, "2026-03-10", [w6], wellbeing=True, state="draft")  # a draft
    return County(
        commissioner=commissioner,
        manager=manager,
        alpha=alpha,
        beta=beta,
        gamma=gamma,
        team_a1=team_a1,
        team_a2=team_a2,
        requirement=requirement,
        workers=workers,
    )


def grow(county: County, *, times: int) -> None:
    """Add ``times`` more of Alpha's mix of people, each with every kind of record."""
    worker = county.workers[0].job_role
    for n in range(times):
        team = TeamFactory(organisation=county.alpha, name=f"Grown {n}")
        people = [
            StaffProfileFactory(organisation=county.alpha, team=team, job_role=worker)
            for _ in range(6)
        ]
        for person in people:
            CaseloadSnapshotFactory(
                person=person, taken_on=d("2026-03-01"), open_cases=9
            )
            _training(
                person,
                county.requirement,
                first_due_on=d("2024-04-01"),
                last_completed_on=d("2025-06-01"),
                valid_until=d("2026-06-01"),
                deadline=d("2026-06-01"),
                due_soon_from=d("2026-05-02"),
            )
            _ladder(
                person,
                "2026-03-01",
                "2026-03-29",
                "2026-03-22",
                "2026-04-12",
                "2026-04-26",
            )
        _session(
            people[0],
            "2026-03-02",
            people[1:],
            wellbeing=True,
            scores=[(4, False)] * 5,
        )


__all__ = [
    "County",
    "MetricSnapshotFactory",
    "SupervisionSession",
    "build_county",
    "grow",
]
