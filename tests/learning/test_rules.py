"""The status rule at its boundaries: the day before, on and after each date."""

from datetime import date

import pytest

from learning.rules import (
    ExceptionKind,
    Status,
    describe,
    expires_on,
    first_due_on,
    status_dates,
    training_status,
)


def dates_for(**overrides):
    values = {
        "first_due": date(2026, 4, 1),
        "last_completed_on": None,
        "renewal_months": 12,
        "due_soon_days": 30,
    }
    values.update(overrides)
    return status_dates(**values)


class TestExpiry:
    @pytest.mark.parametrize(
        ("completed", "months", "expected"),
        [
            (date(2025, 1, 31), 1, date(2025, 2, 28)),
            (date(2024, 1, 31), 1, date(2024, 2, 29)),
            (date(2025, 3, 3), 12, date(2026, 3, 3)),
            (date(2024, 2, 29), 12, date(2025, 2, 28)),
            (date(2025, 8, 31), 24, date(2027, 8, 31)),
        ],
    )
    def test_a_completion_lasts_whole_calendar_months_clamped_to_month_end(
        self, completed, months, expected
    ):
        assert expires_on(completed, months) == expected

    def test_training_with_no_renewal_never_expires(self):
        assert expires_on(date(2020, 1, 1), None) is None


class TestFirstDue:
    def test_first_due_counts_from_the_start_in_role_when_it_is_later(self):
        assert first_due_on(
            started_in_role=date(2026, 1, 10),
            effective_from=date(2025, 1, 1),
            initial_due_days=90,
        ) == date(2026, 4, 10)

    def test_first_due_counts_from_the_effective_date_when_it_is_later(self):
        assert first_due_on(
            started_in_role=date(2020, 1, 10),
            effective_from=date(2026, 2, 1),
            initial_due_days=28,
        ) == date(2026, 3, 1)


class TestStatusWithoutCompletion:
    # First due 1 April 2026, due soon from 2 March 2026 (30 days before).
    @pytest.mark.parametrize(
        ("as_of", "expected"),
        [
            (date(2026, 3, 1), Status.NOT_YET_DUE),
            (date(2026, 3, 2), Status.DUE_SOON),
            (date(2026, 3, 31), Status.DUE_SOON),
            (date(2026, 4, 1), Status.OVERDUE),
            (date(2026, 4, 2), Status.OVERDUE),
        ],
    )
    def test_someone_who_never_started_moves_from_not_yet_due_to_overdue(
        self, as_of, expected
    ):
        assert training_status(dates_for(), as_of=as_of) == expected


class TestStatusWithCompletion:
    # Completed 3 March 2025, every 12 months: valid until 3 March 2026 (exclusive).
    @pytest.mark.parametrize(
        ("as_of", "expected"),
        [
            (date(2026, 1, 31), Status.IN_DATE),
            (date(2026, 2, 1), Status.DUE_SOON),
            (date(2026, 3, 2), Status.DUE_SOON),
            (date(2026, 3, 3), Status.OVERDUE),
            (date(2026, 3, 4), Status.OVERDUE),
        ],
    )
    def test_a_completion_is_in_date_then_due_soon_then_overdue_on_expiry(
        self, as_of, expected
    ):
        dates = dates_for(last_completed_on=date(2025, 3, 3))
        assert training_status(dates, as_of=as_of) == expected

    def test_the_deadline_is_the_completions_expiry_not_the_first_due_date(self):
        dates = dates_for(last_completed_on=date(2025, 3, 3))
        assert dates.deadline == date(2026, 3, 3)
        assert dates.valid_until == date(2026, 3, 3)

    def test_a_completion_on_31_january_renewed_monthly_lapses_on_28_february(self):
        dates = dates_for(
            last_completed_on=date(2025, 1, 31), renewal_months=1, due_soon_days=0
        )
        assert training_status(dates, as_of=date(2025, 2, 27)) == Status.IN_DATE
        assert training_status(dates, as_of=date(2025, 2, 28)) == Status.OVERDUE

    def test_training_that_never_expires_stays_in_date_for_ever(self):
        dates = dates_for(last_completed_on=date(2020, 1, 1), renewal_months=None)
        assert training_status(dates, as_of=date(2040, 1, 1)) == Status.IN_DATE

    def test_the_page_says_in_date_until_the_expiry_date(self):
        dates = dates_for(last_completed_on=date(2026, 3, 3), renewal_months=12)
        status = training_status(dates, as_of=date(2026, 3, 15))
        assert describe(status, dates) == "In date until 3 March 2027"


class TestExceptions:
    def test_an_extension_moves_the_deadline_and_shows_as_its_own_status(self):
        dates = dates_for(
            exception_kind=ExceptionKind.EXTENSION, exception_until=date(2026, 6, 1)
        )
        assert dates.deadline == date(2026, 6, 1)
        for day in (date(2026, 3, 31), date(2026, 4, 1), date(2026, 5, 31)):
            assert training_status(dates, as_of=day) == Status.EXTENSION
        assert training_status(dates, as_of=date(2026, 6, 1)) == Status.OVERDUE

    def test_an_extension_earlier_than_a_new_completions_expiry_no_longer_applies(
        self,
    ):
        dates = dates_for(
            last_completed_on=date(2026, 3, 1),
            exception_kind=ExceptionKind.EXTENSION,
            exception_until=date(2026, 6, 1),
        )
        assert dates.exception_kind == ""
        assert training_status(dates, as_of=date(2026, 5, 1)) == Status.IN_DATE

    @pytest.mark.parametrize(
        ("kind", "status"),
        [
            (ExceptionKind.EXEMPT, Status.EXEMPT),
            (ExceptionKind.LONG_TERM_ABSENCE, Status.LONG_TERM_ABSENCE),
        ],
    )
    def test_an_exemption_or_absence_shows_until_the_day_it_ends(self, kind, status):
        dates = dates_for(exception_kind=kind, exception_until=date(2026, 9, 1))
        assert training_status(dates, as_of=date(2026, 8, 31)) == status
        assert training_status(dates, as_of=date(2026, 9, 1)) == Status.OVERDUE

    def test_an_open_ended_exemption_never_shows_as_in_date(self):
        dates = dates_for(exception_kind=ExceptionKind.EXEMPT)
        assert training_status(dates, as_of=date(2030, 1, 1)) == Status.EXEMPT
