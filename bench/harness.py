"""What every benchmark shares: repeated timings, results with targets, the report.

A result is one figure with its target and whether it holds. ``write_report`` saves
them as ``bench/results/latest.json`` and returns the Markdown table ``make bench``
prints and the README quotes.
"""

from __future__ import annotations

import json
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Timing:
    """Milliseconds over several runs of the same thing."""

    median: float
    low: float
    high: float
    runs: int

    def __str__(self) -> str:
        return (
            f"{self.median:.1f} ms ({self.low:.1f} to {self.high:.1f}, n={self.runs})"
        )


def measure(fn: Callable[[], Any], *, repeats: int = 5, warm: bool = True) -> Timing:
    """Time ``fn`` ``repeats`` times after one untimed warm-up run."""
    if warm:
        fn()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return Timing(statistics.median(times), min(times), max(times), repeats)


@dataclass(frozen=True)
class Result:
    """One figure: ``holds`` says whether ``value`` meets ``target``."""

    id: str
    name: str
    value: float | int | str
    unit: str
    target: str
    holds: bool
    detail: str = ""


def machine() -> str:
    """Describe this machine in a line: CPU count, OS, Python."""
    import os

    return (
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def markdown(results: list[Result], *, machine_name: str, date: str) -> str:
    """Return the results as a Markdown table with its machine and date."""
    lines = [
        f"Measured {date} on {machine_name}.",
        "",
        "| id | what | value | target | holds |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in results:
        value = f"{r.value} {r.unit}".strip()
        if r.detail:
            value += f" ({r.detail})"
        lines.append(
            f"| {r.id} | {r.name} | {value} | {r.target} | "
            f"{'yes' if r.holds else '**no**'} |"
        )
    return "\n".join(lines)


def write_report(
    results: list[Result], *, database: str, path: Path | None = None
) -> str:
    """Write ``latest.json`` (or ``path``) and return the Markdown table."""
    path = path or RESULTS_DIR / "latest.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    name = f"{machine()}, {database}"
    payload = {
        "machine": name,
        "date": when,
        "results": [asdict(r) for r in results],
    }
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return markdown(results, machine_name=name, date=when)
