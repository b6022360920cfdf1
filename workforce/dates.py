"""Calendar dates for the rules: one clock, and whole-month arithmetic.

Every rule in Sustain works on calendar dates in Europe/London. Views, tasks and
commands read the clock once, through :func:`today`, and pass ``as_of`` down.
"""

from datetime import date

from dateutil.relativedelta import relativedelta
from django.utils import timezone


def today() -> date:
    """Return today's date in Europe/London (the site's time zone)."""
    return timezone.localdate()


def add_months(start: date, months: int) -> date:
    """Add months, clamped to the month's end: 31 Jan + 1 month = 28/29 Feb."""
    result: date = start + relativedelta(months=months)
    return result
