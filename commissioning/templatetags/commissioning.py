"""Template helpers for report tables: one row's cells, shown in words."""

from decimal import Decimal
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from commissioning.reports.common import SUPPRESSED, SUPPRESSION_THRESHOLD, Table
from commissioning.reports.headline import TAG_CLASS, Standing

register = template.Library()

# Fixed markup, no user data in it.
SUPPRESSED_HTML = mark_safe(
    '<strong class="govuk-tag govuk-tag--grey">Suppressed</strong> '
    f'<span class="govuk-body-s">(fewer than {SUPPRESSION_THRESHOLD} people)</span>'
)
NO_FIGURE_HTML = mark_safe(
    '<span aria-hidden="true">&ndash;</span>'
    '<span class="govuk-visually-hidden">No figure</span>'
)


@register.simple_tag
def cells(table: Table, row: dict[str, Any]) -> list[dict[str, Any]]:
    """Return a row's cells in column order, each with its column."""
    return [{"column": c, "value": row.get(c.key)} for c in table.columns]


@register.filter
def show(value: Any, key: str = "") -> str:
    """Show a figure: a dash for none, a percent sign for percentages."""
    if value in (SUPPRESSED, "suppressed"):
        return SUPPRESSED_HTML
    if value is None or value == "":
        return NO_FIGURE_HTML
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Decimal) and key.startswith("pct"):
        return f"{value}%"
    return str(value)


@register.simple_tag
def standing_tag(value: str) -> str:
    """A headline figure's standing against its target: its words in a tag."""
    try:
        found = Standing(value)
    except ValueError:
        found = Standing.NO_FIGURE
    return format_html(
        '<strong class="govuk-tag {}">{}</strong>', TAG_CLASS[found], found.value
    )
