"""The benchmarks, one function per target; each returns its results.

Every comparison is made in one run on the same data: the ORM against the
hand-written SQL right after it, one page at two sizes in the same database.
"""

from __future__ import annotations

from collections.abc import Callable
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


def p1_coverage(*, as_of: date, label: str, repeats: int) -> list[Result]:
    """P1: coverage figures and the whole dashboard against the hand-written SQL."""
    from commissioning.reports import provider_scope, tables_for
    from commissioning.reports.training import coverage_figures

    scope = provider_scope(None, as_of=as_of)
    orm_rows = coverage_figures(scope)
    sql_rows = coverage_sql(scope)
    if _canonical(orm_rows) != _canonical(sql_rows):
        raise AssertionError("coverage_figures and the hand-written SQL disagree")
    # Interleave, so a busy moment on a shared machine hits both alike.
    sql_times: list[Timing] = []
    orm_times: list[Timing] = []
    whole_times: list[Timing] = []
    for _ in range(repeats):
        sql_times.append(measure(lambda: coverage_sql(scope), repeats=1, warm=False))
        orm_times.append(
            measure(lambda: coverage_figures(scope), repeats=1, warm=False)
        )
        whole_times.append(
            measure(
                lambda: [list(t.rows) for t in tables_for(scope)],
                repeats=1,
                warm=False,
            )
        )
    sql, orm, whole = (_merge(t) for t in (sql_times, orm_times, whole_times))
    rows = len(orm_rows)
    return [
        _ratio(
            "P1",
            f"coverage_figures / hand-written SQL, {label} ({rows} groups x rules)",
            orm,
            sql,
        ),
        _ratio(
            "P1",
            f"every dashboard table / hand-written coverage SQL, {label}",
            whole,
            sql,
        ),
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
