"""Calendar dates for the rules: one clock, and whole-month arithmetic.

Every rule in Sustain works on calendar dates in Europe/London. Views, tasks and
commands read the clock once, through :func:`today`, and pass ``as_of`` down.
"""

from calendar import monthrange
from datetime import date

from django.utils import timezone


def today() -> date:
    """Return today's date in Europe/London (the site's time zone)."""
    return timezone.localdate()


def add_months(start: date, months: int) -> date:
    """Add months, clamped to the month's end: 31 Jan + 1 month = 28/29 Feb.

    Plain arithmetic, as ``relativedelta(months=...)`` does it but several times
    faster: the status sync calls this once per status row, a million times on a
    go-live sweep.
    """
    year, month = divmod(start.year * 12 + start.month - 1 + months, 12)
    month += 1
    return date(year, month, min(start.day, monthrange(year, month)[1]))
