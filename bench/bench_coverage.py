"""Benchmark the commissioning coverage report on a synthetic county.

Builds PROVIDERS providers x PEOPLE people each, REQUIREMENTS training requirements
with one status row per person and requirement, supervision status rows and
caseloads, in a throwaway database, then times the dashboard's tables. Run:

    DJANGO_SETTINGS_MODULE=config.settings.test .venv/bin/python bench/bench_coverage.py

Set DATABASE_URL to a PostgreSQL database to measure PostgreSQL (it is emptied).
Environment: BENCH_PROVIDERS (10), BENCH_PEOPLE (100), BENCH_REQUIREMENTS (5).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault(
    "DATABASE_URL",
    "sqlite:///" + str(Path(tempfile.gettempdir()) / "sustain-bench.sqlite3"),
)

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from learning.content import ensure_site  # noqa: E402

AS_OF = date(2026, 3, 15)
PROVIDERS = int(os.environ.get("BENCH_PROVIDERS", 10))
PEOPLE = int(os.environ.get("BENCH_PEOPLE", 100))
REQUIREMENTS = int(os.environ.get("BENCH_REQUIREMENTS", 5))


def build() -> None:
    from accounts.models import User
    from learning.models import TrainingStatus
    from supervision.models import SupervisionStatus
    from tests.factories.learning import RequirementFactory, make_module
    from workforce.models import (
        CaseloadSnapshot,
        CommissioningContract,
        JobRole,
        Organisation,
        StaffProfile,
        Team,
    )

    rng = random.Random(2017)
    role = JobRole.objects.create(name="Worker", slug="bench-worker")
    county = Organisation.objects.create(
        name="Bench county",
        slug="bench-county",
        is_commissioner=True,
        is_provider=False,
    )
    requirements = [
        RequirementFactory(
            module=make_module(f"Module {n}", slug=f"m{n}"), job_roles=[role]
        )
        for n in range(REQUIREMENTS)
    ]
    for p in range(PROVIDERS):
        org = Organisation.objects.create(name=f"Provider {p}", slug=f"bench-{p}")
        CommissioningContract.objects.create(
            commissioner=county, provider=org, service="CSE", starts_on=date(2024, 1, 1)
        )
        teams = [Team.objects.create(organisation=org, name=f"T{t}") for t in range(5)]
        users = User.objects.bulk_create(
            User(username=f"b{p}-{n}", email=f"b{p}-{n}@bench.example")
            for n in range(PEOPLE)
        )
        people = StaffProfile.objects.bulk_create(
            StaffProfile(
                user=u,
                organisation=org,
                team=teams[n % 5],
                job_role=role,
                started_in_role=date(2023, 1, 1),
                fte=Decimal("1.0"),
            )
            for n, u in enumerate(users)
        )
        statuses = []
        for person in people:
            for requirement in requirements:
                done = AS_OF - timedelta(days=rng.randint(0, 500))
                statuses.append(
                    TrainingStatus(
                        person=person,
                        requirement=requirement,
                        first_due_on=date(2023, 4, 1),
                        last_completed_on=done,
                        valid_until=done + timedelta(days=365),
                        deadline=done + timedelta(days=365),
                        due_soon_from=done + timedelta(days=335),
                    )
                )
        TrainingStatus.objects.bulk_create(statuses, ignore_conflicts=True)
        SupervisionStatus.objects.bulk_create(
            (
                SupervisionStatus(
                    person=person,
                    last_session_on=(
                        last := AS_OF - timedelta(days=rng.randint(0, 70))
                    ),
                    due_on=last + timedelta(days=28),
                    due_soon_from=last + timedelta(days=21),
                    escalate_on=last + timedelta(days=42),
                    escalate_twice_on=last + timedelta(days=56),
                )
                for person in people
            ),
            ignore_conflicts=True,
        )
        CaseloadSnapshot.objects.bulk_create(
            CaseloadSnapshot(
                person=person, taken_on=date(2026, 2, 28), open_cases=rng.randint(5, 25)
            )
            for person in people
        )


def timed(label: str, fn, runs: int = 7) -> None:  # type: ignore[no-untyped-def]
    fn()  # warm up
    times = []
    for _ in range(runs):
        reset_queries()
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            fn()
        times.append((time.perf_counter() - start) * 1000)
    print(
        f"{label:<34} median {statistics.median(times):7.1f} ms  "
        f"max {max(times):7.1f} ms  queries {len(queries)}"
    )


def main() -> None:
    from commissioning.reports import provider_scope, table_for, tables_for
    from commissioning.reports.forecast import forecast_table
    from learning.models import TrainingStatus

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    ensure_site()
    started = time.perf_counter()
    build()
    print(
        f"{connection.vendor}: {PROVIDERS} providers x {PEOPLE} people x "
        f"{REQUIREMENTS} requirements = {TrainingStatus.objects.count()} status rows "
        f"(built in {time.perf_counter() - started:.1f} s)"
    )
    scope = provider_scope(None, as_of=AS_OF)
    timed("coverage table", lambda: list(table_for(scope, "coverage").rows))
    timed("supervision + check-in tables", lambda: table_for(scope, "supervision"))
    timed("caseload table", lambda: table_for(scope, "caseload"))
    timed("forecast (12 months)", lambda: forecast_table(scope))
    timed("whole dashboard (every table)", lambda: tables_for(scope))


if __name__ == "__main__":
    main()
