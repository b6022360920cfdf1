"""Commissioning reports: one module per metric family, each a few set-based queries.

:func:`tables_for` gives every table of a scope in display order; pages, exports,
the API and the monthly snapshots all read these same tables, so a figure is worked
out one way only.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from commissioning.reports.common import (
    Level,
    ReportScope,
    Table,
    provider_scope,
    scoped_provider,
    suppress_small_groups,
    team_scope,
)

# Each family offers ``tables(scope) -> list[Table]``. A family whose app is not
# installed yet (its models missing) is skipped, so the others still report.
FAMILIES = [
    "commissioning.reports.training",
    "commissioning.reports.supervision",
    "commissioning.reports.caseload",
    "commissioning.reports.staffing",
]


def _family_builders() -> list[Callable[[ReportScope], list[Table]]]:
    builders = []
    for path in FAMILIES:
        module = import_module(path)
        if getattr(module, "AVAILABLE", True):
            builders.append(module.tables)
    return builders


def tables_for(scope: ReportScope) -> list[Table]:
    """Return every table for this scope, in display order."""
    tables: list[Table] = []
    for build in _family_builders():
        tables.extend(build(scope))
    return suppress_small_groups(scope, tables)


def table_keys() -> list[str]:
    """Return the keys of every table a scope can have (for URLs and the API)."""
    keys: list[str] = []
    for path in FAMILIES:
        module = import_module(path)
        if getattr(module, "AVAILABLE", True):
            keys.extend(module.TABLE_KEYS)
    return keys


# Tables read by key (exports, the API) that are not on the dashboard.
EXTRA = ["commissioning.reports.forecast"]


def table_for(scope: ReportScope, key: str) -> Table | None:
    """Return one table by key, building only its family's tables."""
    for path in [*FAMILIES, *EXTRA]:
        module = import_module(path)
        if getattr(module, "AVAILABLE", True) and key in module.TABLE_KEYS:
            found = [t for t in module.tables(scope) if t.key == key]
            return suppress_small_groups(scope, found)[0] if found else None
    return None


__all__ = [
    "Level",
    "ReportScope",
    "Table",
    "provider_scope",
    "scoped_provider",
    "table_for",
    "table_keys",
    "tables_for",
    "team_scope",
]
