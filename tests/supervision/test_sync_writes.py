"""The supervision status sync: chunked, writing only what changed."""

from datetime import date

import pytest

import supervision.services
from supervision.models import SupervisionStatus
from supervision.services import ensure_default_policies, sync_supervision_status
from tests.factories import JobRoleFactory, StaffProfileFactory

pytestmark = pytest.mark.django_db

FIELDS = ("person_id", *SupervisionStatus.DATE_FIELDS)


def rows():
    return set(SupervisionStatus.objects.values_list(*FIELDS))


def test_small_chunks_write_the_same_rows_as_one_chunk(nqsw_role, as_of, monkeypatch):
    ensure_default_policies()
    office = JobRoleFactory(slug="office", is_frontline=False)
    people = [
        StaffProfileFactory(
            job_role=nqsw_role if n % 2 else JobRoleFactory(slug=f"role-{n}"),
            started_in_role=date(2025, 1, 1 + n),
            qualified_on=date(2025, 6, 1) if n % 4 == 1 else None,
        )
        for n in range(6)
    ]
    people.append(StaffProfileFactory(job_role=office))
    leaver = StaffProfileFactory(job_role=nqsw_role, left_on=date(2026, 1, 1))
    ids = [p.pk for p in [*people, leaver]]
    sync_supervision_status(person_ids=ids, as_of=as_of)
    expected = rows()
    SupervisionStatus.objects.all().delete()
    monkeypatch.setattr(supervision.services, "SYNC_CHUNK", 2)

    assert sync_supervision_status(person_ids=ids, as_of=as_of) == len(ids)
    assert rows() == expected
    assert sync_supervision_status(person_ids=ids, as_of=as_of) == 0
    assert sync_supervision_status(as_of=as_of) == 0
    SupervisionStatus.objects.filter(person=people[0]).update(due_on=None)
    assert sync_supervision_status(as_of=as_of) == 1
    assert rows() == expected
