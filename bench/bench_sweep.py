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

Before the backlog sweep, the same status rules run person by person over a slice
(``BENCH_SLICE`` people, 500) and set-based over another slice of the same size,
both writing fresh rows, and the slices' rows are removed again; the ratio of the
two is the set-based sync's advantage.

Environment: BENCH_STAFF (2000), BENCH_REQUIREMENTS (10), BENCH_CHUNK (2000),
BENCH_SLICE (500), and BENCH_JSON: a file to write the P3 results to (``make bench``
runs this script that way, in a database of its own).
"""

from __future__ import annotations

import json
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
SLICE = int(os.environ.get("BENCH_SLICE", 500))
GO_LIVE_LIMIT_S = 120
DAILY_LIMIT_S = 45
MEMORY_LIMIT_MB = 300
LOOP_RATIO = 50
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


def reset_peak() -> bool:
    """Reset the process's peak RSS (Linux), so the next peak is this step's own."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


def step_peak_mb() -> float:
    """The peak RSS since ``reset_peak`` (Linux), else the process's whole peak."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def sweep(label: str, as_of: date) -> tuple[float, float, int]:
    """Run one day's sweep; return its seconds, peak RSS and rows written."""
    from notifications.sweep import run_daily_sweep

    before = written()
    reset_peak()
    started = time.perf_counter()
    result = run_daily_sweep(as_of=as_of, chunk_size=CHUNK)
    seconds = time.perf_counter() - started
    peak = step_peak_mb()
    after = written()
    delta = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    print(
        f"{label:<28} {seconds:7.1f} s  chunks {result.chunks_run}/"
        f"{result.chunks_total}  rows written {result.rows_written}  "
        f"peak RSS {peak:.0f} MB"
    )
    print(f"{'':<28} counts {result.counts}")
    print(f"{'':<28} table growth {delta or 'none'}")
    return seconds, peak, result.rows_written


def loop_against_set(as_of: date) -> tuple[float, float]:
    """Time the status rules person by person and set-based, on two slices.

    Each slice's rows are written fresh and removed afterwards, so the backlog
    sweep still starts from nothing. Returns (per-person s, set-based s).
    """
    from learning.models import TrainingStatus
    from learning.services import sync_training_status
    from workforce.models import StaffProfile

    ids = list(StaffProfile.objects.order_by("pk").values_list("pk", flat=True))
    size = min(SLICE, len(ids) // 2)
    looped, batched = ids[:size], ids[size : 2 * size]
    started = time.perf_counter()
    for person_id in looped:
        sync_training_status(person_ids=[person_id], as_of=as_of, announce=False)
    per_person = time.perf_counter() - started
    started = time.perf_counter()
    sync_training_status(person_ids=batched, as_of=as_of, announce=False)
    set_based = time.perf_counter() - started
    written_rows = TrainingStatus.objects.filter(person_id__in=looped + batched)
    if written_rows.count() != 2 * size * REQUIREMENTS:
        raise AssertionError("the slices did not get a row per requirement each")
    written_rows.delete()
    print(
        f"{size} people per slice: person by person {per_person:.2f} s, "
        f"set-based {set_based:.2f} s ({per_person / set_based:.0f}x)"
    )
    return per_person, set_based


def main() -> None:
    from commissioning.synthetic import refresh_planner_statistics
    from config.querylog import stop_query_log

    stop_query_log()
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    ensure_site()
    started = time.perf_counter()
    build()
    # As after a go-live import, once autovacuum has seen the new rows.
    refresh_planner_statistics()
    print(
        f"{connection.vendor}: {STAFF} staff x {REQUIREMENTS} requirements, "
        f"chunks of {CHUNK} (built in {time.perf_counter() - started:.1f} s, "
        f"peak RSS {peak_rss_mb():.0f} MB)"
    )
    per_person, set_based = loop_against_set(AS_OF)
    go_live = sweep("backlog sweep (first ever)", AS_OF)
    daily = sweep("next day's sweep", AS_OF + timedelta(1))
    again = sweep("same day, second run", AS_OF + timedelta(1))
    if os.environ.get("BENCH_JSON"):
        report(go_live, daily, again, per_person / set_based)


def report(
    go_live: tuple[float, float, int],
    daily: tuple[float, float, int],
    again: tuple[float, float, int],
    ratio: float,
) -> None:
    """Write the P3 results (``bench.harness.Result`` fields) for ``make bench``."""
    size = f"{STAFF} staff x {REQUIREMENTS} requirements"
    peak = max(go_live[1], daily[1], again[1])
    rows = [
        (
            f"go-live sweep, {size}",
            round(go_live[0], 1),
            "s",
            f"<= {GO_LIVE_LIMIT_S} s",
            go_live[0] <= GO_LIVE_LIMIT_S,
            f"{go_live[2]} rows written",
        ),
        (
            f"next day's sweep, {size}",
            round(daily[0], 1),
            "s",
            f"<= {DAILY_LIMIT_S} s",
            daily[0] <= DAILY_LIMIT_S,
            f"{daily[2]} rows written",
        ),
        (
            f"sweep peak memory, {size}",
            round(peak),
            "MB",
            f"<= {MEMORY_LIMIT_MB} MB",
            peak <= MEMORY_LIMIT_MB,
            "peak RSS of the process during each sweep, the highest",
        ),
        (
            f"set-based status sync / person-by-person loop ({SLICE} people)",
            round(ratio, 1),
            "x faster",
            f">= {LOOP_RATIO}x",
            ratio >= LOOP_RATIO,
            "the same rules and rows, two slices of the same size",
        ),
        (
            "second sweep the same day",
            again[2],
            "rows written",
            "0 rows",
            again[2] == 0,
            f"{again[0]:.1f} s",
        ),
    ]
    fields = ("name", "value", "unit", "target", "holds", "detail")
    results = [{"id": "P3", **dict(zip(fields, row, strict=True))} for row in rows]
    Path(os.environ["BENCH_JSON"]).write_text(json.dumps(results))


if __name__ == "__main__":
    main()
