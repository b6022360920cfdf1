"""Benchmark the daily sweep: N staff x M requirements, swept on three days.

Builds BENCH_STAFF people (default 2,000) in 10 providers with BENCH_REQUIREMENTS
yearly requirements (default 10), one (external) completion per person and module at
a random date in the last 400 days, and a supervision policy (every 365 days) with
start dates spread over the last 400 days, in a throwaway database. Then it times:

1. the backlog sweep: the first sweep ever, which creates every status row and opens
   every flag and reminder that is due (as on the day Sustain goes live);
2. the next day's sweep: the daily case, where only what changed overnight is written;
3. a second run of that day's sweep, which must write 0 rows.

Run (the database named by DATABASE_URL is emptied):

    DATABASE_URL=postgres://USER@HOST:5432/DB .venv/bin/python bench/bench_sweep.py

Environment: BENCH_STAFF (2000), BENCH_REQUIREMENTS (10), BENCH_CHUNK (2000).
"""

from __future__ import annotations

import os
import random
import resource
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
    "sqlite:///" + str(Path(tempfile.gettempdir()) / "sustain-bench-sweep.sqlite3"),
)

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from learning.content import ensure_site  # noqa: E402

AS_OF = date(2026, 3, 18)
STAFF = int(os.environ.get("BENCH_STAFF", 2000))
REQUIREMENTS = int(os.environ.get("BENCH_REQUIREMENTS", 10))
CHUNK = int(os.environ.get("BENCH_CHUNK", 2000))
PROVIDERS = 10
BATCH = 5000


def build() -> None:
    from accounts.models import User
    from learning.models import Completion, ExternalTraining
    from supervision.models import PolicyStage, SupervisionPolicy
    from tests.factories.learning import RequirementFactory, make_module
    from workforce.models import JobRole, Organisation, StaffProfile

    rng = random.Random(2017)
    role = JobRole.objects.create(name="Worker", slug="bench-worker")
    modules = [make_module(f"Module {n}", slug=f"m{n}") for n in range(REQUIREMENTS)]
    for module in modules:
        RequirementFactory(module=module, job_roles=[role], renewal_months=12)
    policy = SupervisionPolicy.objects.create(
        name="Bench", job_role=role, due_soon_days=7, first_escalation_days=14
    )
    PolicyStage.objects.create(policy=policy, position=1, interval_days=365)
    recorder = User.objects.create(username="bench-recorder")
    orgs = [
        Organisation.objects.create(name=f"Provider {p}", slug=f"bench-{p}")
        for p in range(PROVIDERS)
    ]
    for start in range(0, STAFF, BATCH):
        count = min(BATCH, STAFF - start)
        users = User.objects.bulk_create(
            User(username=f"b{n}", email=f"b{n}@bench.example", first_name=f"B{n}")
            for n in range(start, start + count)
        )
        people = StaffProfile.objects.bulk_create(
            StaffProfile(
                user=user,
                organisation=orgs[n % PROVIDERS],
                job_role=role,
                started_in_role=AS_OF - timedelta(days=rng.randint(0, 400)),
                fte=Decimal("1.0"),
            )
            for n, user in enumerate(users)
        )
        # A completion must come from an attempt or approved external training;
        # external records are the cheaper of the two to make in bulk.
        externals = ExternalTraining.objects.bulk_create(
            (
                ExternalTraining(
                    person=person,
                    module=module,
                    title="Course",
                    provider="Bench",
                    completed_on=AS_OF - timedelta(days=rng.randint(0, 400)),
                    evidence_reference="bench",
                    recorded_by=recorder,
                )
                for person in people
                for module in modules
            ),
            batch_size=BATCH,
        )
        Completion.objects.bulk_create(
            (
                Completion(
                    person_id=external.person_id,
                    module_id=external.module_id,
                    completed_on=external.completed_on,
                    content_version=1,
                    external=external,
                )
                for external in externals
            ),
            batch_size=BATCH,
        )


def written() -> dict[str, int]:
    from learning.models import TrainingStatus
    from notifications.models import Flag, Notification, SweepChunk, SweepRun
    from supervision.models import SupervisionStatus

    return {
        model.__name__: model.objects.count()
        for model in (
            TrainingStatus,
            SupervisionStatus,
            Flag,
            Notification,
            SweepChunk,
            SweepRun,
        )
    }


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sweep(label: str, as_of: date) -> None:
    from notifications.sweep import run_daily_sweep

    before = written()
    started = time.perf_counter()
    result = run_daily_sweep(as_of=as_of, chunk_size=CHUNK)
    seconds = time.perf_counter() - started
    after = written()
    delta = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    print(
        f"{label:<28} {seconds:7.1f} s  chunks {result.chunks_run}/"
        f"{result.chunks_total}  rows written {result.rows_written}  "
        f"peak RSS {peak_rss_mb():.0f} MB"
    )
    print(f"{'':<28} counts {result.counts}")
    print(f"{'':<28} table growth {delta or 'none'}")


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    ensure_site()
    started = time.perf_counter()
    build()
    print(
        f"{connection.vendor}: {STAFF} staff x {REQUIREMENTS} requirements, "
        f"chunks of {CHUNK} (built in {time.perf_counter() - started:.1f} s, "
        f"peak RSS {peak_rss_mb():.0f} MB)"
    )
    sweep("backlog sweep (first ever)", AS_OF)
    sweep("next day's sweep", AS_OF + timedelta(1))
    sweep("same day, second run", AS_OF + timedelta(1))


if __name__ == "__main__":
    main()
