"""A material change reaches learners: requirements follow the decision, with
a grace period; the people affected are told; the decision is logged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from wagtail.models import PageLogEntry

from accounts.roles import Role
from learning.material import (
    LOG_ACTION,
    MaterialChangeError,
    affected_by,
    require_module_version,
)
from learning.models import ModulePage, TrainingStatus
from learning.rules import Status, training_status
from learning.services import sync_training_status
from notifications.models import Notification, NotificationKind
from tests.factories import JobRoleFactory, StaffProfileFactory, UserFactory
from tests.factories.learning import CompletionFactory, RequirementFactory, make_module

pytestmark = pytest.mark.django_db


def status_of(person, requirement, as_of):
    row = TrainingStatus.objects.get(person=person, requirement=requirement)
    return training_status(row.dates, as_of=as_of)


@pytest.fixture
def changed(as_of):
    role = JobRoleFactory()
    module = make_module(content_version=2)
    module.what_changed = "Adds sextortion and the return interview within 72 hours."
    module.save()
    requirement = RequirementFactory(module=module, job_roles=[role])
    old = StaffProfileFactory(job_role=role)
    new = StaffProfileFactory(job_role=role)
    CompletionFactory(
        person=old, module=module, content_version=1, completed_on=as_of - timedelta(30)
    )
    CompletionFactory(
        person=new, module=module, content_version=2, completed_on=as_of - timedelta(5)
    )
    sync_training_status(person_ids=[old.pk, new.pk], as_of=as_of)
    return module, requirement, old, new


def test_the_editor_sees_how_many_learners_it_affects_before_deciding(changed):
    module, _, _, _ = changed
    assert affected_by(module, 2).people == 1
    assert affected_by(module, 2).requirements == 1
    assert affected_by(module, 1).people == 0


def test_requiring_version_two_moves_the_requirement_tells_learners_and_logs_it(
    changed, as_of
):
    module, requirement, old, new = changed
    assert status_of(old, requirement, as_of) == Status.IN_DATE
    admin = UserFactory(roles=[Role.PLATFORM_ADMIN])
    result = require_module_version(
        module=module, version=2, grace_days=30, decided_by=admin, as_of=as_of
    )
    assert (result.requirements, result.people) == (1, 1)
    requirement.refresh_from_db()
    assert requirement.minimum_version == 2
    assert requirement.version_required_from == as_of + timedelta(days=30)
    # The version-1 learner needs to renew, within the grace period, not overdue.
    assert status_of(old, requirement, as_of) != Status.IN_DATE
    assert status_of(old, requirement, as_of) != Status.OVERDUE
    assert status_of(old, requirement, as_of + timedelta(days=31)) == Status.OVERDUE
    assert status_of(new, requirement, as_of) == Status.IN_DATE
    told = Notification.objects.get(kind=NotificationKind.TRAINING_CHANGED)
    assert told.recipient == old.user
    assert "Adds sextortion" in told.body_text
    assert "version 2" in told.body_text
    entry = PageLogEntry.objects.get(page=module, action=LOG_ACTION)
    assert entry.user == admin
    assert entry.data["grace_days"] == 30
    # Deciding again tells nobody twice.
    require_module_version(
        module=module, version=2, grace_days=30, decided_by=admin, as_of=as_of
    )
    assert (
        Notification.objects.filter(kind=NotificationKind.TRAINING_CHANGED).count() == 1
    )


@pytest.mark.parametrize(
    ("version", "grace_days", "message"),
    [
        (3, 30, "between 1 and 2"),
        (0, 30, "between 1 and 2"),
        (2, -1, "grace"),
        (2, 9999, "grace"),
    ],
)
def test_impossible_decisions_are_refused_with_a_reason(
    changed, as_of, version, grace_days, message
):
    module, requirement, _, _ = changed
    with pytest.raises(MaterialChangeError, match=message):
        require_module_version(
            module=module,
            version=version,
            grace_days=grace_days,
            decided_by=None,
            as_of=as_of,
        )
    requirement.refresh_from_db()
    assert requirement.minimum_version == 1


def test_a_material_change_without_a_what_changed_note_is_refused(changed, as_of):
    module, _, _, _ = changed
    ModulePage.objects.filter(pk=module.pk).update(what_changed="  ")
    with pytest.raises(MaterialChangeError, match="what changed"):
        require_module_version(
            module=module, version=2, grace_days=30, decided_by=None, as_of=as_of
        )
    assert not Notification.objects.exists()


def test_the_module_page_shows_what_changed(client, make_person, changed):
    module, _, _, _ = changed
    client.force_login(make_person(Role.PRACTITIONER).user)
    assert "Adds sextortion" in client.get(module.url).content.decode()
