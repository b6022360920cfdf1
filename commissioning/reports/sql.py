"""Two SQL helpers the reports need on both PostgreSQL and SQLite: a median and a
day count. SQLite gets its median from an aggregate registered on each connection.
"""

from __future__ import annotations

import statistics
from datetime import date
from typing import Any

from django.db.models import Aggregate, Expression, FloatField, Func, IntegerField
from django.db.models import Value as V


class Median(Aggregate):
    """The median of a numeric expression (the mean of the middle two when even)."""

    function = "PERCENTILE_CONT"
    name = "Median"
    output_field = FloatField()
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        clone = self.copy()
        clone.function = "SUSTAIN_MEDIAN"
        clone.template = "%(function)s(%(expressions)s)"
        return super(Median, clone).as_sql(compiler, connection, **extra)


class DaysSince(Func):
    """Whole days from a date column to ``as_of`` (``as_of`` minus the column)."""

    output_field = IntegerField()

    def __init__(self, column: str | Expression, *, as_of: date) -> None:
        super().__init__(V(as_of), column)

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> Any:
        # The same signature as Func.as_sql; this day count always uses its own
        # template and joiner, whatever a caller passes.
        return super().as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner="::date - "
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
        )


class _SQLiteMedian:
    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value: float | None) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return statistics.median(self.values) if self.values else None


def register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Give each new SQLite connection the median aggregate."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("SUSTAIN_MEDIAN", 1, _SQLiteMedian)
