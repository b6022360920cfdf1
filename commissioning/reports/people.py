"""A provider's people by name with their statuses: for provider managers only.

Never supervision content: only status words, dates and counts. The people come
from ``StaffProfile.objects.for_user``, the one rule for who may see whom by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery

from commissioning.reports.common import CASELOAD_WINDOW_DAYS, NO_TEAM, Column, Table
from learning.models import TrainingStatus
from learning.rules import Status as TrainingState
from supervision.models import SupervisionStatus
from supervision.rules import Status as SupervisionState
from workforce.models import CaseloadSnapshot, Organisation, StaffProfile

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def people_queryset(
    user: User | AnonymousUser, provider: Organisation, *, as_of: date
) -> QuerySet[StaffProfile, Mapping[str, Any]]:
    """Return the provider's people in post whom the user may see by name."""
    latest = (
        CaseloadSnapshot.objects.filter(
            person=OuterRef("pk"),
            taken_on__gt=as_of - timedelta(days=CASELOAD_WINDOW_DAYS),
            taken_on__lte=as_of,
        )
        .order_by("-taken_on")
        .values("open_cases")[:1]
    )
    training = TrainingStatus.objects.filter(person=OuterRef("pk")).with_status(as_of)

    def count_of(status: str) -> Subquery:
        return Subquery(
            # ``status`` is the with_status() annotation, which the stubs cannot see.
            training.filter(status=status)  # type: ignore[misc]
            .values("person")
            .annotate(n=Count("pk"))
            .values("n")[:1],
            output_field=IntegerField(),
        )

    # ``status`` is the with_status() annotation, which the stubs cannot see.
    supervision = (
        SupervisionStatus.objects.filter(person=OuterRef("pk"))  # type: ignore[misc]
        .with_status(as_of=as_of)
        .values("status")[:1]
    )
    return (
        StaffProfile.objects.for_user(user)
        .active(as_of=as_of)
        .filter(organisation=provider)
        .annotate(
            open_cases=Subquery(latest),
            training_overdue=count_of(TrainingState.OVERDUE),
            training_due_soon=count_of(TrainingState.DUE_SOON),
            supervision=Subquery(supervision),
        )
        .order_by("team__name", "user__last_name", "user__first_name")
        .values(
            "pk",
            "user__first_name",
            "user__last_name",
            "user__email",
            "team_id",
            "team__name",
            "job_role_id",
            "job_role__name",
            "fte",
            "open_cases",
            "training_overdue",
            "training_due_soon",
            "supervision",
        )
    )


def _row(person: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "person_id": person["pk"],
        "name": f"{person['user__first_name']} {person['user__last_name']}".strip(),
        "first_name": person["user__first_name"],
        "last_name": person["user__last_name"],
        "email": person["user__email"],
        "team_id": person["team_id"],
        "team": person["team__name"] or NO_TEAM,
        "job_role_id": person["job_role_id"],
        "job_role": person["job_role__name"],
        "fte": person["fte"],
        "open_cases": person["open_cases"],
        "training_overdue": person["training_overdue"] or 0,
        "training_due_soon": person["training_due_soon"] or 0,
        "supervision_status": person["supervision"] or "",
        "supervision": SupervisionState(person["supervision"]).label
        if person["supervision"]
        else "No record",
    }


def people_rows(
    user: User | AnonymousUser, provider: Organisation, *, as_of: date
) -> Iterator[dict[str, Any]]:
    """One row per person, streamed: the page narrows them, exports take them all."""
    for person in people_queryset(user, provider, as_of=as_of).iterator(
        chunk_size=2000
    ):
        yield _row(person)


SUPERVISION_URGENCY = {
    SupervisionState.ESCALATED_TWICE: 0,
    SupervisionState.ESCALATED: 1,
    SupervisionState.OVERDUE: 2,
    SupervisionState.DUE_SOON: 3,
}


def urgency(row: Mapping[str, Any]) -> tuple[int, int, int]:
    """Late supervision first, then the most training overdue, then due soon."""
    status = row["supervision_status"]
    rank = SUPERVISION_URGENCY.get(SupervisionState(status), 4) if status else 4
    return (rank, -row["training_overdue"], -row["training_due_soon"])


COLUMNS = [
    Column("name", "Name", numeric=False),
    Column("team", "Team", numeric=False),
    Column("job_role", "Job role", numeric=False),
    Column("fte", "FTE"),
    Column("open_cases", "Open cases"),
    Column("training_overdue", "Training overdue"),
    Column("training_due_soon", "Training due soon"),
    Column("supervision", "Supervision", numeric=False),
]


def people_table(
    user: User | AnonymousUser,
    provider: Organisation,
    *,
    as_of: date,
    rows: Iterable[dict[str, Any]] | None = None,
) -> Table:
    """Build the named drill-down: every person (streamed), or the rows given."""
    return Table(
        key="people",
        title="People",
        columns=COLUMNS,
        rows=people_rows(user, provider, as_of=as_of) if rows is None else rows,
    )
