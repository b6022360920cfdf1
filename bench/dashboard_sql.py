"""Every commissioner dashboard figure in hand-written SQL: the limit P1 compares with.

``coverage_sql`` (in ``bench/coverage_sql.py``) gives the training figures; this
module gives the rest of the dashboard the same way: supervision compliance and
sessions, check-ins, caseloads and staffing, each status worked out once over one
join to the staff table, then plain ``FILTER`` clauses. ``dashboard_sql`` runs them
all, with the two small look-ups the tables need (requirement names and contract
ratios), so it computes every figure ``tables_for`` shows. The benchmark checks
each family gives the same numbers as the reports.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection

from bench.coverage_sql import coverage_sql
from commissioning.reports.common import CASELOAD_WINDOW_DAYS, Level, ReportScope
from commissioning.reports.supervision import WINDOW_DAYS, check_in_months

SUPERVISION_STATUS = """
    CASE
      WHEN s.due_on IS NULL OR s.due_soon_from IS NULL THEN 'not_required'
      WHEN s.escalate_twice_on <= %(as_of)s THEN 'escalated_twice'
      WHEN s.escalate_on <= %(as_of)s THEN 'escalated'
      WHEN s.due_on < %(as_of)s THEN 'overdue'
      WHEN s.due_soon_from <= %(as_of)s THEN 'due_soon'
      ELSE 'in_date'
    END
"""

# Staff only: foster carers are in no staff figure (``ReportScope.people``).
IN_SCOPE = """
    p.organisation_id = ANY(%(providers)s)
    AND p.kind = 'staff'
    AND (p.left_on IS NULL OR p.left_on >= %(as_of)s)
"""


def _group(scope: ReportScope) -> str:
    return "organisation_id" if scope.level is Level.PROVIDER else "team_id"


def _params(scope: ReportScope) -> dict[str, Any]:
    return {"as_of": scope.as_of, "providers": scope.provider_ids}


def _fetch(sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    if connection.vendor != "postgresql":
        # SQLite has no arrays: spell the provider list out (a lookup has none).
        providers = params.get("providers", [])
        marks = ", ".join(f"%(p{n})s" for n in range(len(providers)))
        sql = sql.replace("= ANY(%(providers)s)", f"IN ({marks or 'NULL'})")
        params = {**params, **{f"p{n}": pk for n, pk in enumerate(providers)}}
        # Nor the percentile aggregate: the reports register a median of their own.
        sql = sql.replace(
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY days)",
            "SUSTAIN_MEDIAN(days)",
        )
        sql = sql.replace("%(as_of)s - s.last_session_on", _sqlite_days())
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _sqlite_days() -> str:
    return (
        "CAST(julianday(%(as_of)s) AS INTEGER) - "
        "CAST(julianday(s.last_session_on) AS INTEGER)"
    )


def compliance_sql(scope: ReportScope) -> dict[Any, dict[str, Any]]:
    """The same figures as ``supervision.compliance_figures``."""
    sql = f"""
        SELECT grp,
          count(*) FILTER (WHERE status <> 'not_required') AS required,
          count(*) FILTER (WHERE status IN ('in_date', 'due_soon')) AS in_date,
          count(*) FILTER (WHERE status = 'overdue') AS overdue,
          count(*) FILTER (WHERE status = 'escalated') AS escalated,
          count(*) FILTER (WHERE status = 'escalated_twice') AS escalated_twice,
          percentile_cont(0.5) WITHIN GROUP (ORDER BY days)
            FILTER (WHERE status <> 'not_required') AS median_days
        FROM (
          SELECT p.{_group(scope)} AS grp, {SUPERVISION_STATUS} AS status,
                 %(as_of)s - s.last_session_on AS days
          FROM supervision_supervisionstatus s
          JOIN workforce_staffprofile p ON p.id = s.person_id
          WHERE {IN_SCOPE}
        ) t
        GROUP BY grp
    """
    return {row.pop("grp"): row for row in _fetch(sql, _params(scope))}


def sessions_sql(scope: ReportScope) -> dict[Any, dict[str, Any]]:
    """The same figures as ``supervision.session_figures``."""
    sql = f"""
        SELECT p.{_group(scope)} AS grp,
          count(DISTINCT a.session_id) AS sessions,
          count(DISTINCT a.session_id) FILTER (WHERE ss.wellbeing_discussed)
            AS wellbeing
        FROM supervision_sessionattendance a
        JOIN supervision_supervisionsession ss ON ss.id = a.session_id
        JOIN workforce_staffprofile p ON p.id = a.person_id
        WHERE {IN_SCOPE}
          AND ss.state = 'finalised'
          AND ss.held_on > %(start)s AND ss.held_on <= %(as_of)s
        GROUP BY grp
    """
    params = {**_params(scope), "start": scope.as_of - timedelta(days=WINDOW_DAYS)}
    return {row.pop("grp"): row for row in _fetch(sql, params)}


def check_ins_sql(scope: ReportScope) -> dict[Any, dict[str, Any]]:
    """The same figures as ``supervision.check_in_figures``."""
    first, last = check_in_months(scope.as_of)
    sql = f"""
        SELECT r.{_group(scope)} AS grp,
          count(DISTINCT r.respondent_key) AS people,
          count(*) AS check_ins,
          count(*) FILTER (WHERE r.support_prompt) AS prompted,
          avg(r.impact) AS mean_impact,
          avg(r.switching_off) AS mean_switching_off,
          avg(r.support) AS mean_support,
          avg(r.workload) AS mean_workload
        FROM supervision_checkinscorerecord r
        WHERE r.organisation_id = ANY(%(providers)s)
          AND r.month >= %(first)s AND r.month <= %(last)s
        GROUP BY grp
    """
    params = {**_params(scope), "first": first, "last": last}
    return {row.pop("grp"): row for row in _fetch(sql, params)}


def caseload_sql(scope: ReportScope) -> dict[Any, dict[str, Any]]:
    """The same figures as ``caseload.caseload_figures``.

    Each frontline person's latest snapshot in the window (``DISTINCT ON`` on
    PostgreSQL, the latest date elsewhere), and the strictest contract threshold
    of their provider, worked out once per provider.
    """
    latest = (
        """
        SELECT DISTINCT ON (c.person_id) c.person_id, c.open_cases
        FROM workforce_caseloadsnapshot c
        WHERE c.taken_on > %(start)s AND c.taken_on <= %(as_of)s
        ORDER BY c.person_id, c.taken_on DESC
        """
        if connection.vendor == "postgresql"
        else """
        SELECT c.person_id, c.open_cases
        FROM workforce_caseloadsnapshot c
        WHERE c.taken_on = (
          SELECT max(c2.taken_on) FROM workforce_caseloadsnapshot c2
          WHERE c2.person_id = c.person_id
            AND c2.taken_on > %(start)s AND c2.taken_on <= %(as_of)s)
        """
    )
    contracts = _contracts_sql(scope)
    sql = f"""
        SELECT p.{_group(scope)} AS grp,
          count(*) AS people,
          avg(l.open_cases) AS mean,
          max(l.open_cases) AS maximum,
          count(*) FILTER (WHERE l.open_cases > t.threshold * p.fte) AS over,
          count(*) FILTER (WHERE t.threshold IS NOT NULL) AS with_threshold
        FROM ({latest}) l
        JOIN workforce_staffprofile p ON p.id = l.person_id
        JOIN workforce_jobrole j ON j.id = p.job_role_id
        LEFT JOIN (
          SELECT provider_id, min(caseload_threshold_per_fte) AS threshold
          FROM ({contracts}) k
          WHERE caseload_threshold_per_fte IS NOT NULL
          GROUP BY provider_id
        ) t ON t.provider_id = p.organisation_id
        WHERE {IN_SCOPE} AND j.is_frontline
        GROUP BY grp
    """
    start = scope.as_of - timedelta(days=CASELOAD_WINDOW_DAYS)
    params = {**_params(scope), "start": start, **_contract_params(scope)}
    return {row.pop("grp"): row for row in _fetch(sql, params)}


def _contracts_sql(scope: ReportScope) -> str:
    """The scope's active contracts, as the reports choose them (one SELECT)."""
    sql, _ = scope.contracts.values(
        "provider_id", "caseload_threshold_per_fte", "expected_worker_manager_ratio"
    ).query.sql_with_params()
    # Django's own SELECT for the contracts, its parameters renamed for a dict.
    count = sql.count("%s")
    return sql % tuple(f"%(contract_{n})s" for n in range(count))


def _contract_params(scope: ReportScope) -> dict[str, Any]:
    _, params = scope.contracts.values(
        "provider_id", "caseload_threshold_per_fte", "expected_worker_manager_ratio"
    ).query.sql_with_params()
    return {f"contract_{n}": value for n, value in enumerate(params)}


def staffing_sql(scope: ReportScope) -> dict[Any, dict[str, Any]]:
    """The same figures as ``staffing.staffing_figures`` (which also counts each
    group's people in post for suppression, as this does)."""
    sql = f"""
        SELECT p.{_group(scope)} AS grp,
          sum(p.fte) FILTER (WHERE j.is_frontline AND NOT j.is_manager)
            AS worker_fte,
          sum(p.fte) FILTER (WHERE j.is_manager) AS manager_fte,
          count(*) AS headcount
        FROM workforce_staffprofile p
        JOIN workforce_jobrole j ON j.id = p.job_role_id
        WHERE {IN_SCOPE}
        GROUP BY grp
    """
    rows = {row.pop("grp"): row for row in _fetch(sql, _params(scope))}
    for row in rows.values():
        row.pop("headcount")
    return rows


def lookups_sql(scope: ReportScope) -> dict[str, Any]:
    """Requirement names and each provider's strictest expected ratio (the
    headcounts that decide suppression come with the staffing figures)."""
    labels = _fetch(
        """
        SELECT r.id, pg.title FROM learning_requirement r
        JOIN wagtailcore_page pg ON pg.id = r.module_id
        """,
        {},
    )
    ratios = _fetch(
        f"""
        SELECT provider_id, min(expected_worker_manager_ratio) AS expected
        FROM ({_contracts_sql(scope)}) k
        WHERE provider_id = ANY(%(providers)s)
        GROUP BY provider_id
        """,
        {**_params(scope), **_contract_params(scope)},
    )
    return {"labels": labels, "ratios": ratios}


FAMILIES = {
    "supervision compliance": compliance_sql,
    "supervision sessions": sessions_sql,
    "check-ins": check_ins_sql,
    "caseloads": caseload_sql,
    "staffing": staffing_sql,
}


def dashboard_sql(scope: ReportScope) -> None:
    """Compute every figure the dashboard shows, in hand-written SQL."""
    coverage_sql(scope)
    for family in FAMILIES.values():
        family(scope)
    lookups_sql(scope)
