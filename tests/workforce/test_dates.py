"""Whole-month arithmetic, which every renewal and expiry date is built from."""

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from workforce.dates import add_months


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 1, 15), -13, date(2024, 12, 15)),
        (date(2026, 5, 31), 0, date(2026, 5, 31)),
    ],
)
def test_a_renewal_lands_on_the_same_day_or_the_months_last(start, months, expected):
    assert add_months(start, months) == expected


def test_it_agrees_with_relativedelta_on_every_day_for_years():
    day = date(2023, 1, 1)
    while day < date(2029, 1, 1):
        for months in (-25, -12, -1, 1, 6, 12, 24, 36):
            assert add_months(day, months) == day + relativedelta(months=months)
        day += timedelta(days=1)
