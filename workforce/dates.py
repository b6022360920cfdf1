"""Calendar dates for the rules: one clock, and whole-month arithmetic.

Every rule in Sustain works on calendar dates in Europe/London. Views, tasks and
commands read the clock once, through :func:`today`, and pass ``as_of`` down.
"""

import calendar
from datetime import date

from django.utils import timezone


def today() -> date:
    """Return today's date in Europe/London (the site's time zone)."""
    return timezone.localdate()


def add_months(start: date, months: int) -> date:
    """Add months, clamped to the month's end: 31 Jan + 1 month = 28/29 Feb."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)
