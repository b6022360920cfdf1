"""Template helpers for report tables: one row's cells, shown in words."""

from decimal import Decimal
from typing import Any

from django import template
from django.utils.html import format_html

from commissioning.reports.common import Table

register = template.Library()

SUPPRESSED = "suppressed"


@register.simple_tag
def cells(table: Table, row: dict[str, Any]) -> list[dict[str, Any]]:
    """Return a row's cells in column order, each with its column."""
    return [{"column": c, "value": row.get(c.key)} for c in table.columns]


@register.filter
def show(value: Any, key: str = "") -> str:
    """Show a figure: a dash for none, a percent sign for percentages."""
    if value is SUPPRESSED or value == SUPPRESSED:
        return format_html(
            '<strong class="govuk-tag govuk-tag--grey">Suppressed</strong>'
            '<span class="govuk-visually-hidden"> (group under 5)</span>'
        )
    if value is None or value == "":
        return format_html(
            '<span aria-hidden="true">&ndash;</span>'
            '<span class="govuk-visually-hidden">No figure</span>'
        )
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Decimal) and key.startswith("pct"):
        return f"{value}%"
    return str(value)
