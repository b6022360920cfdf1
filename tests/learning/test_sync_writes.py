"""The status sync writes only what changed, in chunks, alike on every backend."""

from datetime import date

import pytest

import learning.services
from learning.models import TrainingStatus
from learning.rules import ExceptionKind
from learning.services import sync_training_status
from tests.factories import JobRoleFactory, StaffProfileFactory
from tests.factories.learning import CompletionFactory, RequirementFactory

pytestmark = pytest.mark.django_db

FIELDS = (
    "person_id",
    "requirement_id",
    "first_due_on",
    "last_completed_on",
    "valid_until",
    "deadline",
    "due_soon_from",
    "exception_kind",
    "exception_until",
)


def rows():
    return set(TrainingStatus.objects.values_list(*FIELDS))


@pytest.fixture
def role():
    return JobRoleFactory(slug="social-worker", name="Social worker")


@pytest.fixture
def staff(role):
    people = [
        StaffProfileFactory(job_role=role, started_in_role=date(2025, 1, 1 + n))
        for n in range(5)
    ]
    people[1].long_term_absence_from = date(2026, 1, 1)
    people[1].save()
    return people


@pytest.fixture
def requirements(role):
    return [RequirementFactory(job_roles=[role]) for _ in range(2)]


def test_small_chunks_write_the_same_rows_as_one_chunk(
    staff, requirements, as_of, monkeypatch
):
    CompletionFactory(
        person=staff[0], module=requirements[0].module, completed_on=date(2026, 1, 5)
    )
    sync_training_status(as_of=as_of)
    expected = rows()
    TrainingStatus.objects.all().delete()
    monkeypatch.setattr(learning.services, "SYNC_CHUNK", 2)
    monkeypatch.setattr(learning.services, "WRITE_BATCH", 3)

    assert sync_training_status(as_of=as_of) == 10
    assert rows() == expected
    assert sync_training_status(as_of=as_of) == 0
    assert sync_training_status(person_ids=[p.pk for p in staff], as_of=as_of) == 0


def test_only_the_changed_row_is_written(staff, requirements, as_of):
    sync_training_status(as_of=as_of)
    before = dict(TrainingStatus.objects.values_list("pk", "updated_at").order_by("pk"))
    CompletionFactory(
        person=staff[2], module=requirements[1].module, completed_on=date(2026, 3, 1)
    )

    assert sync_training_status(as_of=as_of) == 1

    after = dict(TrainingStatus.objects.values_list("pk", "updated_at").order_by("pk"))
    changed = [pk for pk in before if before[pk] != after[pk]]
    row = TrainingStatus.objects.get(pk__in=changed)
    assert (row.person_id, row.requirement_id) == (staff[2].pk, requirements[1].pk)
    assert row.last_completed_on == date(2026, 3, 1)
    assert row.valid_until == date(2027, 3, 1)


def test_an_absence_is_stored_as_its_plain_value(staff, requirements, as_of):
    sync_training_status(as_of=as_of)

    kinds = set(
        TrainingStatus.objects.filter(person=staff[1]).values_list(
            "exception_kind", flat=True
        )
    )
    assert kinds == {ExceptionKind.LONG_TERM_ABSENCE.value}
    assert sync_training_status(as_of=as_of) == 0


def test_a_requirement_that_no_longer_applies_loses_its_rows(
    staff, requirements, as_of
):
    sync_training_status(as_of=as_of)
    other = StaffProfileFactory(job_role=staff[0].job_role)
    # Limiting the requirement to one organisation re-syncs at once (signal).
    requirements[0].organisations.add(other.organisation)

    assert not TrainingStatus.objects.filter(
        requirement=requirements[0], person__in=staff
    ).exists()
    assert TrainingStatus.objects.filter(
        requirement=requirements[0], person=other
    ).exists()
    assert TrainingStatus.objects.filter(requirement=requirements[1]).count() == 6
    assert sync_training_status(as_of=as_of) == 0


def test_the_sync_asks_the_same_number_of_queries_however_many_requirements(
    staff, role, as_of
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    RequirementFactory(job_roles=[role])
    with CaptureQueriesContext(connection) as one:
        sync_training_status(person_ids=[staff[0].pk], as_of=as_of, announce=False)
    for _ in range(4):
        RequirementFactory(job_roles=[role])
    with CaptureQueriesContext(connection) as five:
        sync_training_status(person_ids=[staff[0].pk], as_of=as_of, announce=False)

    # A requirement's fields are read with the rest, never one query each (at
    # go-live, once per requirement per chunk of the sweep).
    assert len(five) == len(one)
