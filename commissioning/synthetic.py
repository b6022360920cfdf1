"""A synthetic county of any size, for benchmarks and capacity checks.

Unlike the demo county, it is built with bulk inserts rather than the services (a
county of 100,000 people would take hours through them), then the status rows are
derived by the same sync services the daily sweep uses, so every figure comes from
the real rules. It never touches the demo county's organisations.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from accounts.models import User
from learning.content import load_training_content
from learning.models import Attempt, Completion, ModulePage, Requirement
from learning.services import sync_training_status
from supervision.models import SessionAttendance, SupervisionSession
from supervision.services import sync_supervision_status
from workforce.dates import add_months
from workforce.demo import JOB_ROLES
from workforce.models import (
    CaseloadSnapshot,
    CommissioningContract,
    JobRole,
    Organisation,
    StaffProfile,
    Team,
)

COMMISSIONER_SLUG = "synthetic-county"
FRONTLINE_MIX = [
    "social-worker",
    "cse-specialist",
    "residential-worker",
    "youth-worker",
    "foster-carer",
    "family-support-worker",
    "nqsw",
]
BATCH = 5_000


class CountyExists(Exception):
    """The synthetic county is already there; generate it into an empty database."""


@dataclass
class GeneratedCounty:
    providers: int
    people: int
    completions: int
    sessions: int
    training_rows: int
    supervision_rows: int
    seconds: float

    def summary(self) -> str:
        return (
            f"{self.providers} providers, {self.people} people, "
            f"{self.completions} completions, {self.sessions} sessions; "
            f"{self.training_rows} training and {self.supervision_rows} supervision "
            f"status rows, in {self.seconds:.1f} s"
        )


def generate_county(
    *, providers: int, people_per_provider: int, as_of: date, seed: int = 2017
) -> GeneratedCounty:
    """Build a commissioner, its providers, teams, people and history in bulk."""
    if Organisation.objects.filter(slug=COMMISSIONER_SLUG).exists():
        raise CountyExists("A synthetic county already exists in this database.")
    started = time.perf_counter()
    rng = random.Random(seed)
    with transaction.atomic():
        roles = _job_roles()
        modules = _modules()
        requirements = _requirements(modules, roles, as_of=as_of)
        commissioner = Organisation.objects.create(
            name="Synthetic County Council",
            slug=COMMISSIONER_SLUG,
            is_commissioner=True,
            is_provider=False,
        )
        orgs = Organisation.objects.bulk_create(
            Organisation(
                name=f"Synthetic Provider {n:04d}",
                slug=f"synthetic-provider-{n:04d}",
                is_provider=True,
            )
            for n in range(1, providers + 1)
        )
        orgs = list(Organisation.objects.filter(slug__startswith="synthetic-provider-"))
        CommissioningContract.objects.bulk_create(
            CommissioningContract(
                commissioner=commissioner,
                provider=org,
                service="Synthetic service",
                starts_on=add_months(as_of, -24),
                caseload_threshold_per_fte=Decimal(15),
                expected_worker_manager_ratio=Decimal(8),
            )
            for org in orgs
        )
        people = _people(rng, orgs, roles, people_per_provider, as_of=as_of)
        completions = _completions(rng, people, requirements, as_of=as_of)
        sessions = _sessions(rng, people, as_of=as_of)
        _caseloads(rng, people, as_of=as_of)
    ids = [p.pk for p in people]
    training_rows = sync_training_status(person_ids=ids, as_of=as_of)
    supervision_rows = sync_supervision_status(person_ids=ids, as_of=as_of)
    return GeneratedCounty(
        providers=len(orgs),
        people=len(people),
        completions=completions,
        sessions=sessions,
        training_rows=training_rows,
        supervision_rows=supervision_rows,
        seconds=time.perf_counter() - started,
    )


def _job_roles() -> dict[str, JobRole]:
    for name, slug, frontline, manager in JOB_ROLES:
        JobRole.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "is_frontline": frontline, "is_manager": manager},
        )
    return {role.slug: role for role in JobRole.objects.all()}


def _modules() -> list[ModulePage]:
    if not ModulePage.objects.exists():
        load_training_content()
    return list(ModulePage.objects.order_by("pk"))


def _requirements(
    modules: list[ModulePage], roles: dict[str, JobRole], *, as_of: date
) -> list[Requirement]:
    frontline = [role for role in roles.values() if role.is_frontline]
    requirements = []
    for index, module in enumerate(modules):
        requirement = Requirement.objects.filter(module=module).first()
        if requirement is None:
            requirement = Requirement.objects.create(
                module=module,
                effective_from=add_months(as_of, -36),
                initial_due_days=90,
                renewal_months=24 if index % 3 == 2 else 12,
                due_soon_days=30,
            )
            requirement.job_roles.set(frontline)
        requirements.append(requirement)
    return requirements


def _people(
    rng: random.Random,
    orgs: list[Organisation],
    roles: dict[str, JobRole],
    per_provider: int,
    *,
    as_of: date,
) -> list[StaffProfile]:
    teams = Team.objects.bulk_create(
        Team(organisation=org, name=f"Team {t + 1}")
        for org in orgs
        for t in range(max(1, per_provider // 12))
    )
    teams = list(Team.objects.filter(organisation__in=orgs).order_by("pk"))
    by_org: dict[int, list[Team]] = {}
    for team in teams:
        by_org.setdefault(team.organisation_id, []).append(team)
    users, plans = [], []
    for org in orgs:
        for n in range(per_provider):
            team = by_org[org.pk][n % len(by_org[org.pk])]
            is_lead = n < len(by_org[org.pk])
            username = f"p{org.pk}-{n}@synthetic.example"
            users.append(
                User(
                    username=username,
                    email=username,
                    password="!",
                    first_name=f"Person{n}",
                    last_name=f"Org{org.pk}",
                )
            )
            role = roles["team-manager" if is_lead else rng.choice(FRONTLINE_MIX)]
            plans.append((org, team, role, is_lead))
    for start in range(0, len(users), BATCH):
        User.objects.bulk_create(users[start : start + BATCH])
    users = list(
        User.objects.filter(username__endswith="@synthetic.example").order_by("pk")
    )
    profiles = [
        StaffProfile(
            user=user,
            organisation=org,
            team=team,
            job_role=role,
            started_in_role=as_of - timedelta(days=rng.randint(60, 2000)),
            fte=Decimal(rng.choice(["1.00", "1.00", "0.80"])),
        )
        for user, (org, team, role, _lead) in zip(users, plans, strict=True)
    ]
    for start in range(0, len(profiles), BATCH):
        StaffProfile.objects.bulk_create(profiles[start : start + BATCH])
    profiles = list(StaffProfile.objects.filter(user__in=users).order_by("pk"))
    leads = {p.team_id: p for p, plan in zip(profiles, plans, strict=True) if plan[3]}
    for profile, plan in zip(profiles, plans, strict=True):
        if not plan[3]:
            profile.supervisor = profile.line_manager = leads[profile.team_id]
    StaffProfile.objects.bulk_update(
        profiles, ["supervisor", "line_manager"], batch_size=2_000
    )
    return profiles


def _completions(
    rng: random.Random,
    people: list[StaffProfile],
    requirements: list[Requirement],
    *,
    as_of: date,
) -> int:
    """Give about four in five people a completion of each module in 3 years."""
    attempts, completions = [], []
    for person in people:
        for requirement in requirements:
            if rng.random() > 0.8:
                continue
            done_on = as_of - timedelta(days=rng.randint(1, 3 * 365))
            attempt = Attempt(
                person=person,
                module_id=requirement.module_id,
                token=uuid.uuid4(),
                submitted_on=done_on,
                answers={},
                score_percent=rng.randint(80, 100),
                passed=True,
                content_version=1,
            )
            attempts.append(attempt)
            completions.append(
                Completion(
                    person=person,
                    module_id=requirement.module_id,
                    completed_on=done_on,
                    score_percent=attempt.score_percent,
                    content_version=1,
                    attempt=attempt,
                )
            )
    for start in range(0, len(attempts), BATCH):
        Attempt.objects.bulk_create(attempts[start : start + BATCH])
        Completion.objects.bulk_create(completions[start : start + BATCH])
    return len(completions)


def _sessions(rng: random.Random, people: list[StaffProfile], *, as_of: date) -> int:
    """Give each supervised person one finalised session in the last 10 weeks."""
    supervised = [p for p in people if p.supervisor_id]
    sessions = [
        SupervisionSession(
            supervisor_id=person.supervisor_id,
            held_on=as_of - timedelta(days=rng.randint(1, 70)),
            duration_minutes=60,
            state=SupervisionSession.State.FINALISED,
            wellbeing_discussed=rng.random() < 0.7,
        )
        for person in supervised
    ]
    for start in range(0, len(sessions), BATCH):
        SupervisionSession.objects.bulk_create(sessions[start : start + BATCH])
    SessionAttendance.objects.bulk_create(
        (
            SessionAttendance(session=session, person=person)
            for session, person in zip(sessions, supervised, strict=True)
        ),
        batch_size=BATCH,
    )
    return len(sessions)


def _caseloads(rng: random.Random, people: list[StaffProfile], *, as_of: date) -> None:
    taken_on = as_of.replace(day=1) - timedelta(days=1)
    CaseloadSnapshot.objects.bulk_create(
        (
            CaseloadSnapshot(person=p, taken_on=taken_on, open_cases=rng.randint(4, 24))
            for p in people
            if p.job_role.is_frontline
        ),
        batch_size=BATCH,
    )
