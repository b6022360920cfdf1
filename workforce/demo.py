"""The demo county: Northshire, its commissioner and the providers it funds.

Deterministic (a fixed random seed, dates relative to ``as_of``) and idempotent: a
second run finds everyone by username and changes nothing that is already right.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q

from accounts.models import User
from accounts.roles import Role
from workforce.dates import add_months
from workforce.models import (
    CaseloadSnapshot,
    CommissioningContract,
    JobRole,
    Organisation,
    PersonKind,
    RegistrationBody,
    StaffProfile,
    Team,
)

DEMO_PASSWORD = "sustain-demo"

JOB_ROLES = [
    # name, slug, frontline, manager
    ("Social worker", "social-worker", True, False),
    ("Newly qualified social worker", "nqsw", True, False),
    ("CSE specialist worker", "cse-specialist", True, False),
    ("Residential care worker", "residential-worker", True, False),
    ("Youth worker", "youth-worker", True, False),
    ("Foster carer", "foster-carer", True, False),
    ("Supervising social worker", "supervising-social-worker", True, False),
    ("Family support worker", "family-support-worker", True, False),
    ("Team manager", "team-manager", True, True),
    ("Registered manager", "registered-manager", True, True),
    ("Service manager", "service-manager", False, True),
    ("Commissioning officer", "commissioning-officer", False, False),
    ("Learning and development officer", "learning-officer", False, False),
    ("Platform administrator", "platform-administrator", False, False),
]

# Roles whose supervisor must be a registered social worker.
SOCIAL_WORK_ROLES = frozenset({"social-worker", "nqsw", "supervising-social-worker"})


@dataclass(frozen=True)
class ProviderPlan:
    name: str
    slug: str
    domain: str
    is_commissioner: bool
    service: str
    teams: dict[str, list[tuple[str, int]]]  # team -> [(job role slug, headcount)]
    caseload_threshold: Decimal
    ratio: Decimal


PROVIDERS = [
    ProviderPlan(
        "Northshire County Council",
        "northshire",
        "northshire.example",
        True,
        "Children's social care: CSE and missing team",
        {
            "CSE and Missing Team": [
                ("social-worker", 5),
                ("nqsw", 2),
                ("cse-specialist", 3),
            ],
            "Assessment Team": [("social-worker", 5), ("family-support-worker", 2)],
        },
        Decimal("16.0"),
        Decimal("7.0"),
    ),
    ProviderPlan(
        "Safe Harbour Young People's Service",
        "safe-harbour",
        "safeharbour.example",
        False,
        "Specialist CSE support and outreach (voluntary sector)",
        {"Outreach Team": [("cse-specialist", 6), ("youth-worker", 4)]},
        Decimal("12.0"),
        Decimal("8.0"),
    ),
    ProviderPlan(
        "Oakfield Children's Homes",
        "oakfield",
        "oakfield.example",
        False,
        "Residential children's homes",
        {
            "Oak House": [("residential-worker", 6)],
            "Birch House": [("residential-worker", 5)],
        },
        Decimal("4.0"),
        Decimal("8.0"),
    ),
    ProviderPlan(
        "Brightwater Fostering",
        "brightwater",
        "brightwater.example",
        False,
        "Independent fostering agency",
        {
            "Fostering Support Team": [
                ("supervising-social-worker", 3),
                ("foster-carer", 9),
            ]
        },
        Decimal("14.0"),
        Decimal("6.0"),
    ),
]

OTHER_COUNTY = ProviderPlan(
    "Westvale Youth Trust",
    "westvale-youth",
    "westvaleyouth.example",
    False,
    "Youth work (commissioned by Westvale Borough Council)",
    {"Youth Team": [("youth-worker", 4)]},
    Decimal("12.0"),
    Decimal("8.0"),
)

# No one in the demo workforce shares a name with a young person in the modules'
# case studies (tests/supervision/test_demo.py checks).
FIRST_NAMES = [
    "Bethan",
    "Ben",
    "Chloe",
    "Farid",
    "Isla",
    "Femi",
    "Grace",
    "Harry",
    "Imogen",
    "Jamal",
    "Katie",
    "Liam",
    "Mair",
    "Nathan",
    "Olivia",
    "Nisha",
    "Rhys",
    "Sian",
    "Tom",
    "Usha",
    "Vikram",
    "Wendy",
    "Yusuf",
    "Tariq",
    "Carys",
    "Owen",
    "Niamh",
    "Kwame",
    "Hannah",
    "Marek",
    "Lowri",
    "Gethin",
    "Ruth",
    "Sunil",
    "Amara",
    "Dylan",
]
LAST_NAMES = [
    "Ahmed",
    "Baker",
    "Clarke",
    "Davies",
    "Evans",
    "Fisher",
    "Green",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Morgan",
    "Nowak",
    "Okafor",
    "Price",
    "Roberts",
    "Shah",
    "Thomas",
    "Walsh",
    "Williams",
    "Wright",
    "Young",
    "Bennett",
    "Chowdhury",
]

DEMO_LOGINS = [
    # username, first, last, organisation slug, team, job role slug, roles
    (
        "practitioner",
        "Sam",
        "Patel",
        "northshire",
        "CSE and Missing Team",
        "social-worker",
        [Role.PRACTITIONER],
    ),
    (
        "supervisor",
        "Jo",
        "Osei",
        "northshire",
        "CSE and Missing Team",
        "team-manager",
        [Role.SUPERVISOR, Role.PRACTITIONER],
    ),
    (
        "manager",
        "Morgan",
        "Reid",
        "northshire",
        "Children's Services Management",
        "service-manager",
        [Role.PROVIDER_MANAGER],
    ),
    (
        "commissioner",
        "Chris",
        "Hale",
        "northshire",
        "Commissioning",
        "commissioning-officer",
        [Role.COMMISSIONER],
    ),
    (
        "editor",
        "Eleri",
        "Vaughan",
        "northshire",
        "Learning and Development",
        "learning-officer",
        [Role.CONTENT_EDITOR],
    ),
    (
        "admin",
        "Alex",
        "Morris",
        "northshire",
        "Digital Services",
        "platform-administrator",
        [Role.PLATFORM_ADMIN],
    ),
]


@dataclass
class SeededWorkforce:
    """What the seed made, for the learning and supervision seeds to build on."""

    organisations: list[Organisation]
    people: list[StaffProfile]


@transaction.atomic
def seed_workforce(*, as_of: date) -> SeededWorkforce:
    """Create or update the demo county's organisations, contracts, teams and people."""
    rng = random.Random(2017)
    roles = {
        slug: JobRole.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "is_frontline": frontline,
                "is_manager": manager,
                "is_social_work": slug in SOCIAL_WORK_ROLES,
            },
        )[0]
        for name, slug, frontline, manager in JOB_ROLES
    }
    groups = {role: Group.objects.get_or_create(name=role.value)[0] for role in Role}
    organisations = {}
    for plan in [*PROVIDERS, OTHER_COUNTY]:
        organisations[plan.slug] = Organisation.objects.update_or_create(
            slug=plan.slug,
            defaults={
                "name": plan.name,
                "is_provider": True,
                "is_commissioner": plan.is_commissioner,
            },
        )[0]
    westvale_council = Organisation.objects.update_or_create(
        slug="westvale-council",
        defaults={
            "name": "Westvale Borough Council",
            "is_commissioner": True,
            "is_provider": False,
        },
    )[0]
    county = organisations["northshire"]
    contract_start = add_months(as_of, -30).replace(day=1)
    for plan in PROVIDERS:
        _contract(county, organisations[plan.slug], plan, contract_start)
    _contract(
        westvale_council, organisations[OTHER_COUNTY.slug], OTHER_COUNTY, contract_start
    )

    people: list[StaffProfile] = []
    logins: dict[str, StaffProfile] = {}
    for (
        username,
        first,
        last,
        org_slug,
        team_name,
        role_slug,
        user_roles,
    ) in DEMO_LOGINS:
        org = organisations[org_slug]
        team = Team.objects.get_or_create(organisation=org, name=team_name)[0]
        profile = _person(
            username=username,
            email=f"{username}@{PROVIDERS[0].domain}",
            first=first,
            last=last,
            organisation=org,
            team=team,
            job_role=roles[role_slug],
            started=add_months(as_of, -26),
            login=True,
        )
        profile.user.groups.set([groups[r] for r in user_roles])
        if username == "admin" and not profile.user.is_superuser:
            profile.user.is_superuser = profile.user.is_staff = True
            profile.user.save(update_fields=["is_superuser", "is_staff"])
        logins[username] = profile
        people.append(profile)

    used_names: set[tuple[str, str]] = {
        (p.user.first_name, p.user.last_name) for p in people
    }
    for plan in [*PROVIDERS, OTHER_COUNTY]:
        org = organisations[plan.slug]
        for team_name, staffing in plan.teams.items():
            team = Team.objects.get_or_create(organisation=org, name=team_name)[0]
            if plan.slug == "northshire" and team_name == "CSE and Missing Team":
                team_manager = logins["supervisor"]
            else:
                manager_role = (
                    "registered-manager" if plan.slug == "oakfield" else "team-manager"
                )
                team_manager = _generated(
                    rng,
                    used_names,
                    plan,
                    org,
                    team,
                    roles[manager_role],
                    as_of,
                    months_ago=40,
                )
                team_manager.user.groups.set(
                    [groups[Role.SUPERVISOR], groups[Role.PRACTITIONER]]
                )
                people.append(team_manager)
            # Foster carers are supervised by the team's supervising social workers
            # (the fostering standards), in turn; line-managed by no one.
            supervising: list[StaffProfile] = []
            for role_slug, headcount in staffing:
                for n in range(headcount):
                    months_ago = (
                        rng.randint(2, 9) if role_slug == "nqsw" else rng.randint(3, 60)
                    )
                    person = _generated(
                        rng,
                        used_names,
                        plan,
                        org,
                        team,
                        roles[role_slug],
                        as_of,
                        months_ago=months_ago,
                    )
                    person.user.groups.set([groups[Role.PRACTITIONER]])
                    if role_slug == "supervising-social-worker":
                        supervising.append(person)
                        person.user.groups.add(groups[Role.SUPERVISOR])
                    if role_slug == "foster-carer" and supervising:
                        _foster(person, supervisor=supervising[n % len(supervising)])
                    else:
                        _link(
                            person, supervisor=team_manager, line_manager=team_manager
                        )
                    people.append(person)
        if plan.slug != "northshire":
            service_manager = _generated(
                rng,
                used_names,
                plan,
                org,
                None,
                roles["service-manager"],
                as_of,
                months_ago=50,
            )
            service_manager.user.groups.set([groups[Role.PROVIDER_MANAGER]])
            people.append(service_manager)

    practitioner, supervisor = logins["practitioner"], logins["supervisor"]
    _link(practitioner, supervisor=supervisor, line_manager=supervisor)
    _link(supervisor, supervisor=logins["manager"], line_manager=logins["manager"])
    _seed_caseloads(rng, people, as_of=as_of)
    _register_supervisors_of_social_workers(as_of=as_of)
    return SeededWorkforce(organisations=list(organisations.values()), people=people)


def _register_supervisors_of_social_workers(*, as_of: date) -> None:
    """Give everyone who supervises a social worker a current Social Work England
    registration, checked within the last year, so the demo shows the unregistered-
    supervisor flag only where a registration really lapses. A registration already
    recorded is left as it is (the seed is repeatable)."""
    supervisors = StaffProfile.objects.filter(
        Q(supervisees__job_role__is_social_work=True)
        | Q(supervisees__kind=PersonKind.FOSTER_CARER),
        registration_number="",
    ).distinct()
    for supervisor in supervisors:
        supervisor.registration_body = RegistrationBody.SOCIAL_WORK_ENGLAND
        supervisor.registration_number = f"SW{100000 + supervisor.pk}"
        supervisor.registration_checked_on = as_of - timedelta(
            days=30 + supervisor.pk % 200
        )
        supervisor.save(
            update_fields=[
                "registration_body",
                "registration_number",
                "registration_checked_on",
            ]
        )


def _contract(
    commissioner: Organisation,
    provider: Organisation,
    plan: ProviderPlan,
    starts_on: date,
) -> None:
    CommissioningContract.objects.update_or_create(
        commissioner=commissioner,
        provider=provider,
        service=plan.service,
        defaults={
            "starts_on": starts_on,
            "ends_on": add_months(starts_on, 60),
            "caseload_threshold_per_fte": plan.caseload_threshold,
            "expected_worker_manager_ratio": plan.ratio,
        },
    )


def _person(
    *,
    username: str,
    email: str,
    first: str,
    last: str,
    organisation: Organisation,
    team: Team | None,
    job_role: JobRole,
    started: date,
    login: bool = False,
    fte: Decimal = Decimal("1.00"),
    qualified_on: date | None = None,
) -> StaffProfile:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, email=email, first_name=first, last_name=last)
        if login:
            user.set_password(DEMO_PASSWORD)
        else:
            user.set_unusable_password()
        user.save()
    profile, _ = StaffProfile.objects.get_or_create(
        user=user,
        defaults={
            "organisation": organisation,
            "team": team,
            "job_role": job_role,
            "started_in_role": started,
            "fte": fte,
            "qualified_on": qualified_on,
        },
    )
    profile.user = user
    return profile


def _generated(
    rng: random.Random,
    used: set[tuple[str, str]],
    plan: ProviderPlan,
    org: Organisation,
    team: Team | None,
    job_role: JobRole,
    as_of: date,
    *,
    months_ago: int,
) -> StaffProfile:
    while True:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if (first, last) not in used:
            used.add((first, last))
            break
    username = f"{first}.{last}@{plan.domain}".lower()
    started = add_months(as_of, -months_ago) - timedelta(days=rng.randint(0, 27))
    fte = Decimal(rng.choice(["1.00", "1.00", "1.00", "0.80", "0.60"]))
    qualified = (
        started - timedelta(days=rng.randint(0, 40))
        if job_role.slug == "nqsw"
        else None
    )
    return _person(
        username=username,
        email=username,
        first=first,
        last=last,
        organisation=org,
        team=team,
        job_role=job_role,
        started=started,
        fte=fte,
        qualified_on=qualified,
    )


def _foster(person: StaffProfile, *, supervisor: StaffProfile) -> None:
    """Make a demo foster carer: supervised by a supervising social worker, with
    no line manager (they are not employees)."""
    wanted = (PersonKind.FOSTER_CARER, supervisor.pk, None)
    if (person.kind, person.supervisor_id, person.line_manager_id) != wanted:
        person.kind, person.supervisor, person.line_manager = (
            PersonKind.FOSTER_CARER,
            supervisor,
            None,
        )
        person.save(update_fields=["kind", "supervisor", "line_manager"])


def _link(
    person: StaffProfile, *, supervisor: StaffProfile, line_manager: StaffProfile
) -> None:
    if (person.supervisor_id, person.line_manager_id) != (
        supervisor.pk,
        line_manager.pk,
    ):
        person.supervisor, person.line_manager = supervisor, line_manager
        person.save(update_fields=["supervisor", "line_manager"])


def _seed_caseloads(
    rng: random.Random, people: list[StaffProfile], *, as_of: date
) -> None:
    """Give case-holding staff a month-end caseload for each of the last 12 months."""
    case_holding = {
        "social-worker",
        "nqsw",
        "cse-specialist",
        "supervising-social-worker",
        "youth-worker",
        "family-support-worker",
    }
    month_ends = [
        add_months(as_of.replace(day=1), -n) - timedelta(days=1) for n in range(12)
    ]
    snapshots = []
    for person in people:
        if person.job_role.slug not in case_holding:
            continue
        base = (
            rng.randint(8, 22) if person.job_role.slug != "nqsw" else rng.randint(5, 11)
        )
        snapshots.extend(
            CaseloadSnapshot(
                person=person,
                taken_on=day,
                open_cases=max(0, base + rng.randint(-3, 3)),
            )
            for day in month_ends
        )
    CaseloadSnapshot.objects.bulk_create(snapshots, ignore_conflicts=True)
