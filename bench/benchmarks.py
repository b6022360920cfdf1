"""The benchmarks, one function per target; each returns its results.

Every comparison is made in one run on the same data: the ORM against the
hand-written SQL right after it, one page at two sizes in the same database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from django.db import connection
from django.test import Client
from django.urls import NoReverseMatch, reverse

from bench.county import Cast
from bench.coverage_sql import coverage_sql
from bench.harness import Result, Timing, measure

P1_TARGET = 1.2
P2_LIMIT = 15
P6_LIMIT_KB = 500


def _canonical(rows: list[dict[str, Any]]) -> list[tuple]:
    return sorted(tuple(sorted((k, int(v or 0)) for k, v in r.items())) for r in rows)


def _numbers(figures: dict[Any, dict[str, Any]], group: str) -> dict[Any, tuple]:
    """Each group's figures as comparable numbers (the group's own key left out)."""
    return {
        key: tuple(
            sorted(
                (name, None if value is None else round(float(value), 6))
                for name, value in row.items()
                if name != group and not name.endswith(group)
            )
        )
        for key, row in figures.items()
    }


def _families(scope: Any) -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    """(ORM, hand-written SQL) for each dashboard family other than coverage."""
    from bench import dashboard_sql
    from commissioning.reports import caseload, staffing, supervision

    orm = {
        "supervision compliance": supervision.compliance_figures,
        "supervision sessions": supervision.session_figures,
        "check-ins": supervision.check_in_figures,
        "caseloads": caseload.caseload_figures,
        "staffing": staffing.staffing_figures,
    }
    return {
        name: (lambda f=orm[name]: f(fresh(scope)), lambda f=sql: f(scope))
        for name, sql in dashboard_sql.FAMILIES.items()
    }


def fresh(scope: Any) -> Any:
    """The same scope with nothing remembered: the reports keep figures they share
    (headcounts, contract terms) on the scope, which a page builds anew each time,
    so a timing that reused one would skip their queries."""
    return replace(scope, known={})


def p1_coverage(*, as_of: date, label: str, repeats: int) -> list[Result]:
    """P1: coverage figures and the whole dashboard against the hand-written SQL.

    Every family's figures are first checked equal to its hand-written SQL; the
    whole dashboard (``tables_for``: every table, rows built) is timed against
    ``dashboard_sql``, which computes the same figures.
    """
    from bench.dashboard_sql import dashboard_sql
    from commissioning.reports import provider_scope, tables_for
    from commissioning.reports.training import coverage_figures

    scope = provider_scope(None, as_of=as_of)
    orm_rows = coverage_figures(scope)
    sql_rows = coverage_sql(scope)
    if _canonical(orm_rows) != _canonical(sql_rows):
        raise AssertionError("coverage_figures and the hand-written SQL disagree")
    families = _families(scope)
    for name, (orm_family, sql_family) in families.items():
        group = scope.group_field
        if _numbers(orm_family(), group) != _numbers(sql_family(), group):
            raise AssertionError(f"{name}: the report and its SQL disagree")
    # Interleave, so a busy moment on a shared machine hits both alike.
    pairs: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
        "coverage": (
            lambda: coverage_figures(fresh(scope)),
            lambda: coverage_sql(scope),
        ),
        **families,
        "dashboard": (
            lambda: [list(t.rows) for t in tables_for(fresh(scope))],
            lambda: dashboard_sql(scope),
        ),
    }
    times: dict[str, tuple[list[Timing], list[Timing]]] = {
        name: ([], []) for name in pairs
    }
    for _ in range(repeats):
        for name, (orm_fn, sql_fn) in pairs.items():
            times[name][1].append(measure(sql_fn, repeats=1, warm=False))
            times[name][0].append(measure(orm_fn, repeats=1, warm=False))
    merged = {name: (_merge(o), _merge(s)) for name, (o, s) in times.items()}
    rows = len(orm_rows)
    # Each family's own ratio, to say where the whole dashboard's time goes.
    breakdown = "; ".join(
        f"{name} {orm.median / sql.median:.2f}x"
        for name, (orm, sql) in merged.items()
        if name in families
    )
    whole = _ratio(
        "P1",
        f"whole dashboard (every table) / hand-written SQL of every figure, {label}",
        *merged["dashboard"],
    )
    return [
        _ratio(
            "P1",
            f"coverage_figures / hand-written SQL, {label} ({rows} groups x rules)",
            *merged["coverage"],
        ),
        replace(whole, detail=f"{whole.detail}; by family: {breakdown}"),
    ]


def _merge(timings: list[Timing]) -> Timing:
    import statistics

    values = [t.median for t in timings]
    return Timing(statistics.median(values), min(values), max(values), len(values))


def _ratio(id_: str, name: str, measured: Timing, limit: Timing) -> Result:
    ratio = measured.median / limit.median
    return Result(
        id=id_,
        name=name,
        value=round(ratio, 2),
        unit="x",
        target=f"<= {P1_TARGET}x",
        holds=ratio <= P1_TARGET,
        detail=f"{measured} against {limit}",
    )


def main_pages(cast: Cast) -> list[tuple[str, Any, Callable[[], str]]]:
    """Return (page, user, url) for each main page; missing pages are left out."""

    def url(name: str, **kwargs: Any) -> Callable[[], str]:
        return lambda: reverse(name, kwargs=kwargs or None)

    provider = cast.provider.pk
    return [
        ("practitioner's home", cast.practitioner, url("home:dashboard")),
        ("My training", cast.practitioner, url("learning:my_training")),
        ("supervisor's home", cast.supervisor, url("home:dashboard")),
        (
            "supervisor dashboard",
            cast.supervisor,
            url("supervision:supervisor_dashboard"),
        ),
        ("team matrix (supervisor)", cast.supervisor, url("learning:team_matrix")),
        ("manager's home", cast.manager, url("home:dashboard")),
        ("team matrix (manager)", cast.manager, url("learning:team_matrix")),
        ("manager view", cast.manager, url("supervision:manager_view")),
        ("commissioner's home", cast.commissioner, url("home:dashboard")),
        ("commissioner dashboard", cast.commissioner, url("commissioning:dashboard")),
        (
            "provider drill-down",
            cast.commissioner,
            url("commissioning:provider", provider_id=provider),
        ),
        ("API coverage", cast.commissioner, url("api:coverage")),
        ("flags page", cast.manager, url("notifications:flags")),
        ("platform admin's home", cast.admin, url("home:dashboard")),
    ]


def page_costs(cast: Cast) -> dict[str, dict[str, Any]]:
    """Fetch each main page once (after a warm-up) and note queries, size and time."""
    costs: dict[str, dict[str, Any]] = {}
    for page, user, url in main_pages(cast):
        try:
            address = url()
        except NoReverseMatch:
            continue
        client = Client()
        client.force_login(user)
        client.get(address)  # warm-up: caches, first-use imports
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            timing = measure(
                lambda c=client, a=address: _ok(c, a), repeats=1, warm=False
            )
        response = client.get(address)
        costs[page] = {
            "queries": counter.count,
            "kb": len(response.content) / 1024,
            "ms": timing.median,
            "status": response.status_code,
        }
    return costs


class QueryCounter:
    """Count the queries run on a connection (the debug log resets per request)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self, execute: Any, sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def _ok(client: Client, address: str) -> None:
    response = client.get(address)
    if response.status_code != 200:
        raise AssertionError(f"{address} answered {response.status_code}")


def p2_queries(
    small: dict[str, dict[str, Any]], large: dict[str, dict[str, Any]], labels: str
) -> list[Result]:
    """P2: the same number of queries at both sizes, and no more than 15."""
    results = []
    for page, cost in large.items():
        before = small.get(page, {}).get("queries")
        count = cost["queries"]
        results.append(
            Result(
                id="P2",
                name=f"queries: {page}",
                value=count,
                unit="queries",
                target=f"equal at {labels}, <= {P2_LIMIT}",
                holds=count <= P2_LIMIT and before == count,
                detail=f"{before} at the smaller size; {cost['ms']:.0f} ms",
            )
        )
    return results


def p6_weight(costs: dict[str, dict[str, Any]], label: str) -> list[Result]:
    """P6: no HTML page over 500 KB."""
    return [
        Result(
            id="P6",
            name=f"page weight: {page}, {label}",
            value=round(cost["kb"], 1),
            unit="KB",
            target=f"<= {P6_LIMIT_KB} KB at 10x",
            holds=cost["kb"] <= P6_LIMIT_KB,
        )
        for page, cost in costs.items()
        if page != "API coverage"
    ]


P5_LIMIT_MB = 50


def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


def memory_growth_mb(fn: Callable[[], Any]) -> float:
    """Return how far the process's peak memory rose above its size while ``fn`` ran.

    Linux: the peak (VmHWM) is reset first by writing 5 to /proc/self/clear_refs.
    Elsewhere, Python's own allocations traced by tracemalloc stand in.
    """
    try:
        before = _rss_kb("VmRSS")
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        import tracemalloc

        tracemalloc.start()
        try:
            fn()
            return tracemalloc.get_traced_memory()[1] / 1024 / 1024
        finally:
            tracemalloc.stop()
    fn()
    return max(0, _rss_kb("VmHWM") - before) / 1024


def p5_export(cast: Cast, label: str) -> list[Result]:
    """P5: the team matrix of everyone (the platform admin's) as CSV and XLSX."""
    from learning.models import Requirement
    from workforce.models import StaffProfile

    client = Client()
    client.force_login(cast.admin)
    client.get(reverse("home:dashboard"))  # the session's first touch
    people = StaffProfile.objects.count()
    requirements = Requirement.objects.count()
    results = []
    for file_format in ("csv", "xlsx"):
        address = reverse("learning:team_matrix_export", args=[file_format])
        size = [0]

        def download(a: str = address, s: list[int] = size) -> None:
            response = client.get(a)
            if response.status_code != 200:
                raise AssertionError(f"{a} answered {response.status_code}")
            content = (
                response.streaming_content if response.streaming else [response.content]
            )
            s[0] = sum(len(chunk) for chunk in content)

        download()  # warm-up
        timing = measure(download, repeats=1, warm=False)
        grown = memory_growth_mb(download)
        results.append(
            Result(
                id="P5",
                name=f"team matrix export as {file_format.upper()}, {label} "
                f"({people} people x {requirements} requirements)",
                value=round(grown, 1),
                unit="MB memory growth",
                target=f"<= {P5_LIMIT_MB} MB; time reported",
                holds=grown <= P5_LIMIT_MB,
                detail=f"{timing.median / 1000:.1f} s, {size[0] / 1024 / 1024:.1f} MB "
                "file",
            )
        )
    return results
