"""A material change made in the Wagtail editor, as editors make it: the editor
sees who it affects, chooses what happens to requirements, submits it to the
sense check; when another editor approves (which publishes), requirements follow
the choice and the learners affected are told through the outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from wagtail.models import PageLogEntry

from accounts.roles import Role
from learning.content import load_training_content
from learning.material import KEEP_LOG_ACTION, LOG_ACTION
from learning.models import ModulePage, TrainingStatus
from learning.rules import Status, training_status
from learning.services import sync_training_status
from notifications.models import Notification, NotificationKind, NotificationStatus
from tests.factories import JobRoleFactory, StaffProfileFactory, UserFactory
from tests.factories.learning import (
    CompletionFactory,
    RequirementFactory,
    admin_edit_data,
)
from workforce.dates import today

pytestmark = pytest.mark.django_db

NOTE = "Adds what to do straight after a possible assault, and sextortion."


@pytest.fixture
def setting():
    load_training_content()
    module = ModulePage.objects.get(slug="understanding-cse")
    role = JobRoleFactory()
    requirement = RequirementFactory(module=module, job_roles=[role])
    done = [StaffProfileFactory(job_role=role) for _ in range(2)]
    for person in done:
        CompletionFactory(
            person=person,
            module=module,
            content_version=module.content_version,
            completed_on=today() - timedelta(days=40),
        )
    not_yet = StaffProfileFactory(job_role=role)
    sync_training_status(person_ids=[p.pk for p in [*done, not_yet]], as_of=today())
    return module, requirement, done, not_yet


def edit_url(page):
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def submit_change(client, editor, module, **choice):
    client.force_login(editor)
    data = admin_edit_data(
        client,
        module,
        material_change="on",
        what_changed=NOTE,
        **choice,
    )
    data["action-submit"] = "action-submit"
    return client.post(edit_url(module), data)


def approve(client, reviewer, module):
    client.force_login(reviewer)
    page = ModulePage.objects.get(pk=module.pk)
    state = page.current_workflow_task_state
    response = client.post(
        reverse(
            "wagtailadmin_pages:workflow_action",
            args=[page.pk, "approve", state.pk],
        ),
        {"comment": ""},
    )
    assert response.status_code == 302
    return ModulePage.objects.get(pk=module.pk)


def status(person, requirement, as_of):
    row = TrainingStatus.objects.get(person=person, requirement=requirement)
    return training_status(row.dates, as_of=as_of)


def test_the_editor_sees_who_is_affected_and_the_choices(client, setting):
    module, _, _, _ = setting
    client.force_login(UserFactory(roles=[Role.CONTENT_EDITOR]))
    html = client.get(edit_url(module)).content.decode()
    assert 'name="material_change"' in html
    assert "2 learners with only earlier completions will be told" in html
    assert 'value="require"' in html and 'value="keep"' in html
    assert 'name="grace_days"' in html


def test_requiring_the_new_version_tells_the_learners_and_moves_requirements(
    client, setting
):
    module, requirement, done, _ = setting
    version = module.content_version
    author = UserFactory(roles=[Role.CONTENT_EDITOR])
    response = submit_change(
        client,
        author,
        module,
        requirements_after_change="require",
        grace_days="21",
    )
    assert response.status_code == 302
    # Submitted, not live: nothing has moved and nobody is told yet.
    requirement.refresh_from_db()
    assert requirement.minimum_version == 1
    assert not Notification.objects.exists()

    page = approve(client, UserFactory(roles=[Role.CONTENT_EDITOR]), module)
    assert page.content_version == version + 1
    requirement.refresh_from_db()
    assert requirement.minimum_version == version + 1
    assert requirement.version_required_from == today() + timedelta(days=21)
    told = Notification.objects.filter(kind=NotificationKind.TRAINING_CHANGED)
    assert sorted(n.recipient_id for n in told) == sorted(p.user_id for p in done)
    assert all(NOTE in n.body_text for n in told)
    assert {n.status for n in told} == {NotificationStatus.PENDING}
    # The learners have the grace period, then are overdue.
    for person in done:
        assert status(person, requirement, today()) == Status.DUE_SOON
        assert status(person, requirement, today() + timedelta(22)) == Status.OVERDUE
    entry = PageLogEntry.objects.get(page=module, action=LOG_ACTION)
    assert entry.user == author
    assert entry.data["grace_days"] == 21
    # The learner sees the note on the module page.
    client.force_login(done[0].user)
    assert NOTE in client.get(page.url).content.decode()


def test_keeping_earlier_completions_moves_nothing_and_tells_nobody(client, setting):
    module, requirement, done, _ = setting
    version = module.content_version
    author = UserFactory(roles=[Role.CONTENT_EDITOR])
    submit_change(client, author, module, requirements_after_change="keep")
    page = approve(client, UserFactory(roles=[Role.CONTENT_EDITOR]), module)
    assert page.content_version == version + 1
    requirement.refresh_from_db()
    assert requirement.minimum_version == 1
    assert not Notification.objects.exists()
    assert status(done[0], requirement, today()) == Status.IN_DATE
    assert PageLogEntry.objects.get(page=module, action=KEEP_LOG_ACTION).user == author
    # The next edit starts with no decision, and a plain edit changes nothing.
    client.force_login(author)
    html = client.get(edit_url(page)).content.decode()
    assert 'value="require" checked' not in html and 'value="keep" checked' not in html


@pytest.mark.parametrize(
    ("choice", "field", "message"),
    [
        ({}, "requirements_after_change", "Choose what the material change does"),
        (
            {"requirements_after_change": "require", "grace_days": "9999"},
            "grace_days",
            "from 0 to 365",
        ),
        (
            {"requirements_after_change": "everyone-now"},
            "requirements_after_change",
            "Select a valid choice",
        ),
    ],
)
def test_an_incomplete_decision_is_refused_beside_the_field(
    client, setting, choice, field, message
):
    module, requirement, _, _ = setting
    response = submit_change(
        client, UserFactory(roles=[Role.CONTENT_EDITOR]), module, **choice
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    page = ModulePage.objects.get(pk=module.pk)
    assert page.current_workflow_state is None
    requirement.refresh_from_db()
    assert requirement.minimum_version == 1
