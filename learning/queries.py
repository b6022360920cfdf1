"""Reads for the pages and exports: a fixed number of queries whatever the data."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from learning.models import (
    Completion,
    ModulePage,
    Requirement,
    SectionProgress,
    TrainingStatus,
)
from learning.rules import STATUS_TAG, Status, describe, training_status
from workforce.models import StaffProfile

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


@dataclass
class StatusCell:
    """One person by requirement, ready to show."""

    row: TrainingStatus
    status: Status
    text: str

    @property
    def tag_class(self) -> str:
        return STATUS_TAG[self.status]


@dataclass
class RequiredModule:
    cell: StatusCell
    module: ModulePage
    sections_done: int
    latest: Completion | None

    @property
    def action(self) -> str:
        if self.cell.status in (Status.EXEMPT,):
            return ""
        if self.sections_done and self.sections_done < len(self.module.body):
            return "Resume"
        if self.cell.status == Status.IN_DATE:
            return "Refresh" if self.module.pk else ""
        return "Start"


@dataclass
class MyTraining:
    required: list[RequiredModule]
    optional: list[ModulePage]
    completions: list[Completion]


def cell_for(row: TrainingStatus, *, as_of: date) -> StatusCell:
    status = training_status(row.dates, as_of=as_of)
    return StatusCell(row=row, status=status, text=describe(status, row.dates))


def my_training(person: StaffProfile, *, as_of: date) -> MyTraining:
    """Gather a learner's requirements, progress, optional modules and history."""
    rows = list(
        TrainingStatus.objects.filter(person=person)
        .select_related("requirement__module")
        .order_by("deadline", "requirement__module__title")
    )
    progress = dict(
        SectionProgress.objects.filter(person=person).values_list(
            "module_id", "sections_done"
        )
    )
    completions = list(
        Completion.objects.filter(person=person)
        .select_related("module")
        .order_by("-completed_on", "-pk")
    )
    latest: dict[int, Completion] = {}
    for completion in completions:
        if not completion.is_revoked:  # a revoked one is history, not the latest
            latest.setdefault(completion.module_id, completion)
    required = [
        RequiredModule(
            cell=cell_for(row, as_of=as_of),
            module=row.requirement.module,
            sections_done=progress.get(row.requirement.module_id, 0),
            latest=latest.get(row.requirement.module_id),
        )
        for row in rows
    ]
    required_ids = {item.module.pk for item in required}
    optional = list(
        ModulePage.objects.live()
        .exclude(pk__in=required_ids)
        .defer_streamfields()
        .order_by("title")
    )
    return MyTraining(required=required, optional=optional, completions=completions)


# Most urgent first: what needs doing now, then what is coming, then what is settled.
URGENCY = {
    Status.OVERDUE: 0,
    Status.DUE_SOON: 1,
    Status.EXTENSION: 2,
    Status.NOT_YET_DUE: 3,
    Status.LONG_TERM_ABSENCE: 4,
    Status.IN_DATE: 5,
    Status.EXEMPT: 6,
}
NOTHING_REQUIRED = len(URGENCY)


@dataclass
class MatrixRow:
    person: StaffProfile
    cells: list[StatusCell | None] = field(default_factory=list)

    @property
    def urgency(self) -> tuple[int, int]:
        """The worst status, then how many requirements share it (more is worse)."""
        ranks = [URGENCY[cell.status] for cell in self.cells if cell]
        if not ranks:
            return (NOTHING_REQUIRED, 0)
        worst = min(ranks)
        return (worst, -ranks.count(worst))

    @property
    def most_urgent(self) -> StatusCell | None:
        """The requirement whose status is most urgent (the row's overall standing)."""
        cells = [cell for cell in self.cells if cell]
        return min(cells, key=lambda cell: URGENCY[cell.status], default=None)


@dataclass
class Matrix:
    requirements: list[Requirement]
    rows: list[MatrixRow]


def team_matrix(
    user: User | AnonymousUser,
    *,
    as_of: date,
    team_id: int | None = None,
    job_role_id: int | None = None,
    status: str = "",
) -> Matrix:
    """Build the matrix of requirements for the people this user may see by name."""
    people_qs = (
        StaffProfile.objects.for_user(user)
        .active(as_of=as_of)
        .select_related("user", "team", "job_role", "organisation")
        .order_by("user__last_name", "user__first_name", "pk")
    )
    if team_id:
        people_qs = people_qs.filter(team_id=team_id)
    if job_role_id:
        people_qs = people_qs.filter(job_role_id=job_role_id)
    statuses = TrainingStatus.objects.filter(
        person__in=people_qs.values("pk")
    ).order_by()
    # The requirements and their modules once per matrix, shared by every row: a
    # Wagtail page per status row (select_related) was most of the time and memory
    # of a big matrix or export.
    requirements = {
        r.pk: r
        for r in Requirement.objects.filter(
            pk__in=statuses.values("requirement_id")
        ).select_related("module")
    }
    by_person: dict[int, dict[int, StatusCell]] = defaultdict(dict)
    for row in statuses.iterator(chunk_size=5000):
        row.requirement = requirements[row.requirement_id]
        by_person[row.person_id][row.requirement_id] = cell_for(row, as_of=as_of)
    ordered = sorted(requirements.values(), key=lambda r: (r.module.title, r.pk))
    rows = []
    for person in people_qs:
        cells = by_person.get(person.pk, {})
        if status and not any(cell.status == status for cell in cells.values()):
            continue
        rows.append(MatrixRow(person=person, cells=[cells.get(r.pk) for r in ordered]))
    return Matrix(requirements=ordered, rows=rows)
