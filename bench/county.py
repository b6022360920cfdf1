"""The benchmark county: built once with ``generate_county``, reused when it matches.

Scale 1 is 50 providers x 100 people x 30 requirements with five years of history
(about 5,000 staff and 150,000 status rows); scale 10 has 500 providers. Building is
deterministic (one seed, one ``as_of``), so a county already in the database with
the same size is kept rather than built again (``BENCH_FRESH=1`` rebuilds).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts.models import User
from accounts.roles import Role
from commissioning.synthetic import COMMISSIONER_SLUG, generate_county
from learning.content import ensure_site
from workforce.models import Organisation, StaffProfile

PEOPLE_PER_PROVIDER = 100
PROVIDERS_AT_1X = 50
REQUIREMENTS = 30
YEARS = 5


@dataclass(frozen=True)
class County:
    providers: int
    people: int
    built_seconds: float | None  # None: reused from an earlier run


@dataclass(frozen=True)
class Cast:
    """One signed-in user per role, inside the benchmark county."""

    practitioner: User
    supervisor: User
    manager: User
    commissioner: User
    admin: User
    provider: Organisation


def providers_at(scale: float) -> int:
    return max(1, round(PROVIDERS_AT_1X * scale))


def commissioner_slug(name: str) -> str:
    return COMMISSIONER_SLUG if name == "synthetic" else f"{name}-county"


def existing_people(name: str) -> int:
    return StaffProfile.objects.filter(
        organisation__slug__startswith=f"{name}-provider-"
    ).count()


def ensure_county(
    scale: float,
    *,
    as_of: date,
    fresh: bool = False,
    flush: bool = True,
    name: str = "synthetic",
    requirements: int = REQUIREMENTS,
) -> County:
    """Return the county at ``scale``, building it if needed.

    With ``flush`` the database is emptied first when the county is (re)built.
    """
    providers = providers_at(scale)
    people = providers * PEOPLE_PER_PROVIDER
    present = Organisation.objects.filter(slug=commissioner_slug(name)).exists()
    if present and not fresh and existing_people(name) == people:
        return County(providers, people, None)
    if flush:
        call_command("flush", interactive=False, verbosity=0)
    ensure_site()
    built = generate_county(
        providers=providers,
        people_per_provider=PEOPLE_PER_PROVIDER,
        as_of=as_of,
        requirements=requirements,
        years=YEARS,
        name=name,
    )
    return County(providers, built.people, built.seconds)


def _grant(user: User, *roles: Role) -> User:
    for role in roles:
        group, _ = Group.objects.get_or_create(name=role.value)
        user.groups.add(group)
    return user


def cast(name: str = "synthetic") -> Cast:
    """Give people in the county their roles (idempotent) and return them."""
    provider = Organisation.objects.filter(
        slug__startswith=f"{name}-provider-"
    ).order_by("slug")[0]
    staff = StaffProfile.objects.filter(organisation=provider).select_related("user")
    lead = staff.filter(supervisees__isnull=False).distinct().order_by("pk")[0]
    worker = staff.filter(supervisor=lead).order_by("pk")[0]
    manager = staff.exclude(pk__in=[lead.pk, worker.pk]).order_by("-pk")[0]
    commissioner_org = Organisation.objects.get(slug=commissioner_slug(name))
    commissioner, _ = User.objects.get_or_create(
        username=f"{name}-commissioner", defaults={"email": f"c@{name}.bench"}
    )
    StaffProfile.objects.get_or_create(
        user=commissioner,
        defaults={
            "organisation": commissioner_org,
            "job_role": worker.job_role,
            "started_in_role": worker.started_in_role,
        },
    )
    admin, _ = User.objects.get_or_create(
        username=f"{name}-admin",
        defaults={"email": f"a@{name}.bench", "is_superuser": True, "is_staff": True},
    )
    return Cast(
        practitioner=_grant(worker.user, Role.PRACTITIONER),
        supervisor=_grant(lead.user, Role.PRACTITIONER, Role.SUPERVISOR),
        manager=_grant(manager.user, Role.PROVIDER_MANAGER),
        commissioner=_grant(commissioner, Role.COMMISSIONER),
        admin=_grant(admin, Role.PLATFORM_ADMIN),
        provider=provider,
    )
