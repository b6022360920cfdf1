"""``make bench``: build the county, run every benchmark, write the report.

    DATABASE_URL=postgres://USER@HOST:5432/DB .venv/bin/python bench/run.py

The database named by DATABASE_URL is emptied when the county has to be built
(SQLite in a temporary file when it is unset). Environment:

- ``BENCH_SCALE`` (1): 1 is 50 providers x 100 people x 30 requirements, 10 is 500.
- ``BENCH_REPEATS`` (5): runs per timing; medians are reported with min-max.
- ``BENCH_FRESH`` (0): 1 rebuilds the county even if one of this size is there.
- ``BENCH_ONLY``: comma-separated ids to run (e.g. ``P1,P2``).
- ``BENCH_HTTP_SECONDS`` (10): how long P4 asks for each page.
- ``BENCH_SWEEP_STAFF`` (100000): staff for the P3 sweep, built in a database of
  its own (``BENCH_SWEEP_DATABASE_URL``, else the county's name with ``_sweep``).

It writes ``bench/results/latest.json`` and prints a Markdown table.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault(
    "DATABASE_URL",
    "sqlite:///" + str(Path(tempfile.gettempdir()) / "sustain-bench.sqlite3"),
)


def run(
    *,
    scale: float,
    repeats: int,
    only: set[str] | None = None,
    fresh: bool = False,
    flush: bool = True,
    output: Path | None = None,
    small_scale: float = 0.02,
    requirements: int | None = None,
) -> str:
    """Run the benchmarks and write the report; return its Markdown table."""
    from django.db import connection

    from bench import benchmarks
    from bench.county import REQUIREMENTS, cast, ensure_county
    from bench.harness import Result, write_report
    from workforce.dates import today

    as_of = today()
    requirements = REQUIREMENTS if requirements is None else requirements
    label = f"{scale:g}x"
    wanted = only or {"P1", "P2", "P3", "P4", "P5", "P6"}
    started = time.perf_counter()
    county = ensure_county(
        scale, as_of=as_of, fresh=fresh, flush=flush, requirements=requirements
    )
    built = (
        f"built in {county.built_seconds:.0f} s"
        if county.built_seconds is not None
        else "reused"
    )
    print(
        f"county at {label}: {county.providers} providers, {county.people} people "
        f"({built})",
        file=sys.stderr,
    )
    results: list[Result] = []
    if "P1" in wanted:
        results += benchmarks.p1_coverage(as_of=as_of, label=label, repeats=repeats)
    if wanted & {"P2", "P6"}:
        # The same pages for a county a fiftieth the size, kept beside the big one
        # in the same database.
        ensure_county(
            small_scale,
            as_of=as_of,
            flush=False,
            name="small",
            requirements=requirements,
        )
        small = benchmarks.page_costs(cast("small"))
        large = benchmarks.page_costs(cast())
        if "P2" in wanted:
            results += benchmarks.p2_queries(
                small, large, labels=f"{small_scale:g}x and {label}"
            )
        if "P6" in wanted:
            results += benchmarks.p6_weight(large, label)
    if "P3" in wanted:
        results += sweep_results(int(os.environ.get("BENCH_SWEEP_STAFF", "100000")))
    if "P4" in wanted:
        from bench.load import p4_http

        seconds = float(os.environ.get("BENCH_HTTP_SECONDS", "10"))
        results += p4_http(cast(), label, seconds=seconds)
    if "P5" in wanted:
        results += benchmarks.p5_export(cast(), label)
    table = write_report(results, database=connection.vendor, path=output)
    print(f"(all benchmarks in {time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return table


def sweep_database() -> str:
    """The database P3 builds its staff in: never the county's, which it would empty.

    ``BENCH_SWEEP_DATABASE_URL`` if set; on PostgreSQL otherwise the county's
    database name with ``_sweep`` added (created when missing); else a SQLite file.
    """
    from django.db import connection

    if os.environ.get("BENCH_SWEEP_DATABASE_URL"):
        return os.environ["BENCH_SWEEP_DATABASE_URL"]
    if connection.vendor != "postgresql":
        return "sqlite:///" + str(Path(tempfile.gettempdir()) / "sustain-sweep.sqlite3")
    name = f"{connection.settings_dict['NAME']}_sweep"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    url = os.environ["DATABASE_URL"]
    return url[: url.rindex("/") + 1] + name


def sweep_results(staff: int) -> list:
    """P3: run ``bench/bench_sweep.py`` in its own database and read its results."""
    from bench.harness import Result

    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "p3.json"
        env = {
            **os.environ,
            "DATABASE_URL": sweep_database(),
            "BENCH_STAFF": str(staff),
            "BENCH_REQUIREMENTS": "10",
            "BENCH_JSON": str(output),
        }
        script = Path(__file__).resolve().parent / "bench_sweep.py"
        subprocess.run([sys.executable, str(script)], env=env, check=True)
        return [Result(**row) for row in json.loads(output.read_text())]


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from learning.content import ensure_site

    call_command("migrate", verbosity=0)
    ensure_site()
    only = {p.strip() for p in os.environ.get("BENCH_ONLY", "").split(",") if p.strip()}
    table = run(
        scale=float(os.environ.get("BENCH_SCALE", "1")),
        repeats=int(os.environ.get("BENCH_REPEATS", "5")),
        only=only or None,
        fresh=os.environ.get("BENCH_FRESH") == "1",
    )
    print(table)


if __name__ == "__main__":
    main()
