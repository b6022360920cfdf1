"""Dates and times written the GOV.UK way: "1 December 2026", "4:24pm", "midday".

Loaded as a template builtin (see ``TEMPLATES`` in settings), so every template can
use ``|govuk_date``, ``|govuk_time`` and ``|govuk_datetime`` without a load tag.
"""

from datetime import date, datetime, time

from django import template
from django.utils import timezone

register = template.Library()


def _local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


@register.filter
def govuk_date(value: date | datetime | str | None) -> str:
    """Write a date as "1 December 2026"; an empty value stays empty."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return ""  # as Django's own date filter does with text it cannot read
    if isinstance(value, datetime):
        value = _local(value).date()
    return f"{value.day} {value:%B %Y}"


@register.filter
def govuk_time(value: time | datetime | None) -> str:
    """Write a time as "4:24pm", "10am", "midday" or "midnight"."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = _local(value).time()
    if value.hour == 0 and value.minute == 0:
        return "midnight"
    if value.hour == 12 and value.minute == 0:
        return "midday"
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    minutes = f":{value.minute:02d}" if value.minute else ""
    return f"{hour}{minutes}{suffix}"


@register.filter
def govuk_datetime(value: datetime | None) -> str:
    """Write a moment as "1 December 2026 at 4:24pm"."""
    if not value:
        return ""
    return f"{govuk_date(value)} at {govuk_time(value)}"
