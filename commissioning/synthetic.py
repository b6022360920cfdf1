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

from django.db import connection, transaction

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


def refresh_planner_statistics() -> None:
    """Run ANALYZE after a bulk load (PostgreSQL), as its manual advises: until
    autovacuum gets to the new rows the planner thinks the tables nearly empty and
    picks nested loops over thousands of rows (on the benchmark county the
    commissioner dashboard's figures took about 1.5 times as long before it)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def generate_county(
    *,
    providers: int,
    people_per_provider: int,
    as_of: date,
    seed: int = 2017,
    requirements: int = 0,
    years: int = 3,
    name: str = "synthetic",
) -> GeneratedCounty:
    """Build a commissioner, its providers, teams, people and history in bulk.

    ``requirements``: how many training requirements (the real modules, then copies
    of the first one until there are this many; 0 means the real modules only).
    ``years``: how far back completions go; each person renews each module on its
    cycle, sometimes late, sometimes not at all. The same seed and ``as_of`` give
    the same county. ``name`` prefixes its slugs and addresses, so a second, named
    county can sit beside the first (the benchmarks compare two sizes that way).
    """
    commissioner_slug = COMMISSIONER_SLUG if name == "synthetic" else f"{name}-county"
    if Organisation.objects.filter(slug=commissioner_slug).exists():
        raise CountyExists("A synthetic county already exists in this database.")
    started = time.perf_counter()
    rng = random.Random(seed)
    with transaction.atomic():
        roles = _job_roles()
        modules = _modules(requirements)
        rules = _requirements(modules, roles, as_of=as_of)
        commissioner = Organisation.objects.create(
            name=f"{name.title()} County Council",
            slug=commissioner_slug,
            is_commissioner=True,
            is_provider=False,
        )
        orgs = Organisation.objects.bulk_create(
            Organisation(
                name=f"{name.title()} Provider {n:04d}",
                slug=f"{name}-provider-{n:04d}",
                is_provider=True,
            )
            for n in range(1, providers + 1)
        )
        orgs = list(Organisation.objects.filter(slug__startswith=f"{name}-provider-"))
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
        people = _people(rng, orgs, roles, people_per_provider, as_of=as_of, name=name)
        completions = _completions(rng, people, rules, as_of=as_of, years=years)
        sessions = _sessions(rng, people, as_of=as_of)
        _caseloads(rng, people, as_of=as_of)
    ids = [p.pk for p in people]
    # The sweep opens their flags, as it would for a go-live backlog.
    training_rows = sync_training_status(person_ids=ids, as_of=as_of, announce=False)
    supervision_rows = sync_supervision_status(
        person_ids=ids, as_of=as_of, announce=False
    )
    refresh_planner_statistics()
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


def _modules(wanted: int) -> list[ModulePage]:
    if not ModulePage.objects.exists():
        load_training_content()
    modules = list(ModulePage.objects.order_by("pk"))
    # Copies of a real module, body and all, so a page costs what a real one does.
    template = modules[0]
    for n in range(len(modules) + 1, wanted + 1):
        template.copy(
            update_attrs={
                "title": f"Synthetic module {n:02d}",
                "slug": f"synthetic-module-{n:02d}",
                "draft_title": f"Synthetic module {n:02d}",
            },
            keep_live=True,
            log_action=None,
        )
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
    name: str,
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
            username = f"p{org.pk}-{n}@{name}.example"
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
        User.objects.filter(username__endswith=f"@{name}.example").order_by("pk")
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
    years: int,
) -> int:
    """Give each person a history of each module over ``years``.

    The first completion comes near the first due date; each renewal near the end of
    the cycle, about one in five late, and about one in twenty-five never renewed
    (the person simply stops), so every status appears.
    """
    earliest = as_of - timedelta(days=365 * years)
    count = 0
    attempts: list[Attempt] = []
    completions: list[Completion] = []

    def flush() -> None:
        Attempt.objects.bulk_create(attempts)
        Completion.objects.bulk_create(completions)
        attempts.clear()
        completions.clear()

    for person in people:
        started = max(person.started_in_role, earliest)
        for requirement in requirements:
            done_on = started + timedelta(days=rng.randint(-30, 120))
            while done_on < as_of:
                if done_on >= earliest:
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
                    count += 1
                if rng.random() < 0.04:
                    break  # never renewed
                late = rng.randint(1, 120) if rng.random() < 0.2 else 0
                done_on = add_months(done_on, requirement.renewal_months) + timedelta(
                    days=late - rng.randint(0, 40)
                )
            if len(attempts) >= BATCH:
                flush()
    flush()
    return count


def _sessions(rng: random.Random, people: list[StaffProfile], *, as_of: date) -> int:
    """Give each supervised person a year of finalised sessions, with some gaps.

    Sessions come every three to seven weeks; about one gap in ten is a month or two
    longer, so some people are due, overdue or escalated on ``as_of``.
    """
    plans: list[tuple[SupervisionSession, StaffProfile]] = []
    for person in people:
        if not person.supervisor_id:
            continue
        held_on = as_of - timedelta(days=rng.randint(1, 70))
        while held_on > as_of - timedelta(days=365):
            session = SupervisionSession(
                supervisor_id=person.supervisor_id,
                held_on=held_on,
                duration_minutes=60,
                state=SupervisionSession.State.FINALISED,
                wellbeing_discussed=rng.random() < 0.7,
            )
            plans.append((session, person))
            gap = rng.randint(21, 49) + (
                rng.randint(30, 60) if rng.random() < 0.1 else 0
            )
            held_on -= timedelta(days=gap)
    sessions = [session for session, _ in plans]
    for start in range(0, len(sessions), BATCH):
        SupervisionSession.objects.bulk_create(sessions[start : start + BATCH])
    SessionAttendance.objects.bulk_create(
        (
            SessionAttendance(session=session, person=person)
            for session, person in plans
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
