"""The commissioner coverage figures in hand-written SQL: the limit P1 compares with.

It works out each row's status once (the same rule as
``TrainingStatusQuerySet.with_status``) over one join to the staff table, then
counts with plain ``FILTER`` clauses. The benchmark checks it gives the same numbers
as ``commissioning.reports.training.coverage_figures``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import connection

from commissioning.reports.common import Level, ReportScope
from commissioning.reports.training import EXPIRY_WINDOWS

STATUS = """
    CASE
      WHEN ts.exception_kind IN ('exempt', 'long_term_absence')
           AND (ts.exception_until IS NULL OR ts.exception_until > %(as_of)s)
        THEN ts.exception_kind
      WHEN ts.exception_kind = 'extension' AND ts.exception_until > %(as_of)s
        THEN 'extension'
      WHEN ts.deadline IS NULL THEN 'in_date'
      WHEN ts.deadline <= %(as_of)s THEN 'overdue'
      WHEN ts.due_soon_from <= %(as_of)s THEN 'due_soon'
      WHEN ts.last_completed_on IS NOT NULL THEN 'in_date'
      ELSE 'not_yet_due'
    END
"""


def coverage_sql(scope: ReportScope) -> list[dict[str, Any]]:
    """Return the same rows as ``coverage_figures(scope)``, keyed the same way."""
    group = "organisation_id" if scope.level is Level.PROVIDER else "team_id"
    expiring = ",\n".join(
        f"count(*) FILTER (WHERE valid_until >= %(from)s "
        f"AND valid_until < %(until_{days})s) AS expiring_{days}"
        for days in EXPIRY_WINDOWS
    )
    sql = f"""
        SELECT grp, requirement_id,
          count(*) FILTER (WHERE status <> 'exempt') AS applies,
          count(*) FILTER (WHERE status IN ('in_date', 'due_soon')
                           AND last_completed_on IS NOT NULL) AS covered,
          count(*) FILTER (WHERE status = 'overdue') AS overdue,
          count(*) FILTER (WHERE status = 'due_soon') AS due_soon,
          count(*) FILTER (WHERE status IN ('extension', 'exempt',
                                            'long_term_absence')) AS exceptions,
          {expiring}
        FROM (
          SELECT p.{group} AS grp, ts.requirement_id, ts.valid_until,
                 ts.last_completed_on, {STATUS} AS status
          FROM learning_trainingstatus ts
          JOIN workforce_staffprofile p ON p.id = ts.person_id
          WHERE p.organisation_id = ANY(%(providers)s)
            AND p.kind = 'staff'
            AND (p.left_on IS NULL OR p.left_on >= %(as_of)s)
        ) s
        GROUP BY grp, requirement_id
    """
    as_of: date = scope.as_of
    params: dict[str, Any] = {
        "as_of": as_of,
        "providers": scope.provider_ids,
        "from": as_of + timedelta(days=1),
        **{f"until_{d}": as_of + timedelta(days=d + 1) for d in EXPIRY_WINDOWS},
    }
    if connection.vendor != "postgresql":
        # SQLite has no arrays: spell the provider list out.
        marks = ", ".join(f"%(p{n})s" for n in range(len(scope.provider_ids)))
        sql = sql.replace("= ANY(%(providers)s)", f"IN ({marks or 'NULL'})")
        params.update({f"p{n}": pk for n, pk in enumerate(scope.provider_ids)})
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c[0] for c in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    key = f"person__{scope.group_field}"
    for row in rows:
        row[key] = row.pop("grp")
    return rows
