"""The training rules: pure functions of stored dates and ``as_of``.

The status a page shows and the status a report counts come from the same dates: the
per-person :func:`training_status` here, and the SQL expression in
:meth:`learning.models.TrainingStatusQuerySet.with_status`, which a property test
holds equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import models

from workforce.dates import add_months


class Status(models.TextChoices):
    IN_DATE = "in_date", "In date"
    DUE_SOON = "due_soon", "Due soon"
    OVERDUE = "overdue", "Overdue"
    NOT_YET_DUE = "not_yet_due", "Not yet due"
    EXTENSION = "extension", "Extension"
    EXEMPT = "exempt", "Exempt"
    LONG_TERM_ABSENCE = "long_term_absence", "Long-term absence"


class ExceptionKind(models.TextChoices):
    EXTENSION = "extension", "Extension"
    EXEMPT = "exempt", "Exemption"
    LONG_TERM_ABSENCE = "long_term_absence", "Long-term absence"


# GOV.UK tag colours; the words always say the status too.
STATUS_TAG = {
    Status.IN_DATE: "govuk-tag--green",
    Status.DUE_SOON: "govuk-tag--yellow",
    Status.OVERDUE: "govuk-tag--red",
    Status.NOT_YET_DUE: "govuk-tag--grey",
    Status.EXTENSION: "govuk-tag--orange",
    Status.EXEMPT: "govuk-tag--blue",
    Status.LONG_TERM_ABSENCE: "govuk-tag--purple",
}


def expires_on(completed_on: date, renewal_months: int | None) -> date | None:
    """Return the first day a completion no longer counts (None: it never expires)."""
    if renewal_months is None:
        return None
    return add_months(completed_on, renewal_months)


def first_due_on(
    *, started_in_role: date, effective_from: date, initial_due_days: int
) -> date:
    """Return the first deadline: N days after the later of the start and the rule."""
    return max(started_in_role, effective_from) + timedelta(days=initial_due_days)


@dataclass(frozen=True)
class StatusDates:
    """What a status row stores; everything a status needs besides ``as_of``."""

    first_due_on: date
    last_completed_on: date | None
    valid_until: date | None
    deadline: date | None
    due_soon_from: date | None
    exception_kind: str = ""
    exception_until: date | None = None


def status_dates(
    *,
    first_due: date,
    last_completed_on: date | None,
    renewal_months: int | None,
    due_soon_days: int,
    exception_kind: str = "",
    exception_until: date | None = None,
) -> StatusDates:
    """Work out a row's dates from its latest qualifying completion and exception.

    ``deadline`` is the expiry of the latest qualifying completion, else the first due
    date; an extension to a later date moves it. None means the completion never
    expires.
    """
    if last_completed_on is not None:
        valid_until = expires_on(last_completed_on, renewal_months)
        deadline = valid_until
    else:
        valid_until = None
        deadline = first_due
    if exception_kind == ExceptionKind.EXTENSION:
        if deadline is not None and exception_until and exception_until > deadline:
            deadline = exception_until
        else:  # a later completion has overtaken the extension
            exception_kind, exception_until = "", None
    due_soon_from = (
        deadline - timedelta(days=due_soon_days) if deadline is not None else None
    )
    return StatusDates(
        first_due_on=first_due,
        last_completed_on=last_completed_on,
        valid_until=valid_until,
        deadline=deadline,
        due_soon_from=due_soon_from,
        exception_kind=exception_kind,
        exception_until=exception_until,
    )


def training_status(dates: StatusDates, *, as_of: date) -> Status:
    """Return a person's status for one requirement on ``as_of``."""
    kind = dates.exception_kind
    if kind in (ExceptionKind.EXEMPT, ExceptionKind.LONG_TERM_ABSENCE) and (
        dates.exception_until is None or as_of < dates.exception_until
    ):
        return Status(kind)
    if (
        kind == ExceptionKind.EXTENSION
        and dates.exception_until is not None
        and as_of < dates.exception_until
    ):
        return Status.EXTENSION
    if dates.deadline is None:
        return Status.IN_DATE  # completed, and this training never expires
    if as_of >= dates.deadline:
        return Status.OVERDUE
    if dates.due_soon_from is not None and as_of >= dates.due_soon_from:
        return Status.DUE_SOON
    if dates.last_completed_on is not None:
        return Status.IN_DATE
    return Status.NOT_YET_DUE


def describe(status: Status, dates: StatusDates) -> str:
    """Say a status in words, with its date: 'In date until 3 March 2027'."""

    def day(value: date | None) -> str:
        return f"{value.day} {value:%B %Y}" if value else ""

    if status == Status.IN_DATE:
        if dates.valid_until is None:
            return "In date (does not expire)"
        return f"In date until {day(dates.valid_until)}"
    if status == Status.DUE_SOON:
        return f"Due soon: by {day(dates.deadline)}"
    if status == Status.OVERDUE:
        return f"Overdue since {day(dates.deadline)}"
    if status == Status.NOT_YET_DUE:
        return f"Not yet due: by {day(dates.deadline)}"
    if status == Status.EXTENSION:
        return f"Extension until {day(dates.exception_until)}"
    if status == Status.EXEMPT:
        return "Exempt" + (
            f" until {day(dates.exception_until)}" if dates.exception_until else ""
        )
    return "Long-term absence" + (
        f" until {day(dates.exception_until)}" if dates.exception_until else ""
    )


class RecordStanding(models.TextChoices):
    """Where one past completion stands today, as an import's check shows it."""

    IN_DATE = "in_date", "In date"
    EXPIRED = "expired", "Already expired"
    NEVER_EXPIRES = "never_expires", "Does not expire"
    NOT_REQUIRED = "not_required", "Not required for their role"


def record_standing(
    *, completed_on: date, renewal_cycles: Sequence[int | None], as_of: date
) -> tuple[RecordStanding, date | None]:
    """Say whether a completion on ``completed_on`` still counts on ``as_of``.

    ``renewal_cycles`` are the ``renewal_months`` of the requirements for this
    module that apply to the person (empty: none does). The shortest cycle
    decides; the completion stops counting on its ``expires_on``, as a status
    turns overdue on its deadline. Returns the standing and the valid-until date.
    """
    if not renewal_cycles:
        return RecordStanding.NOT_REQUIRED, None
    expiries = [
        day
        for months in renewal_cycles
        if (day := expires_on(completed_on, months)) is not None
    ]
    if not expiries:
        return RecordStanding.NEVER_EXPIRES, None
    valid_until = min(expiries)
    if as_of >= valid_until:
        return RecordStanding.EXPIRED, valid_until
    return RecordStanding.IN_DATE, valid_until
