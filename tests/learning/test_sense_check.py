"""Separation of duties in the sense-check workflow, through the Wagtail admin:
editors cannot publish training pages past it, and cannot approve their own
submission; the loader submits changes instead of publishing them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from learning.content import MODULES_DIR, load_training_content
from learning.models import ModulePage, SenseCheck, SenseCheckRole
from tests.factories import UserFactory
from tests.factories.learning import admin_edit_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def module():
    load_training_content()
    return ModulePage.objects.get(slug="understanding-cse")


def post_edit(client, page: ModulePage, action: str) -> None:
    """Post the admin's edit form for ``page`` with a new summary and ``action``."""
    url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    data = admin_edit_data(client, page, summary="A clearer summary.")
    data[action] = action
    response = client.post(url, data)
    assert response.status_code in {200, 302}


def submit(page: ModulePage, user, client) -> ModulePage:
    """An editor's change, sent to the sense check through the admin."""
    client.force_login(user)
    post_edit(client, page, "action-submit")
    client.logout()
    page = ModulePage.objects.get(pk=page.pk)
    assert page.current_workflow_state.requested_by == user
    return page


def approve(client, page: ModulePage):
    state = page.current_workflow_task_state
    return client.post(
        reverse(
            "wagtailadmin_pages:workflow_action",
            args=[page.pk, "approve", state.pk],
        ),
        {"comment": ""},
    )


def test_an_editor_sees_submit_for_sense_check_and_no_publish(client, module):
    editor = UserFactory(roles=[Role.CONTENT_EDITOR])
    client.force_login(editor)
    response = client.get(reverse("wagtailadmin_pages:edit", args=[module.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="action-submit"' in html
    assert 'name="action-publish"' not in html


def test_an_editor_who_posts_publish_does_not_publish(client, module):
    client.force_login(UserFactory(roles=[Role.CONTENT_EDITOR]))
    post_edit(client, module, "action-publish")
    page = ModulePage.objects.get(pk=module.pk)
    assert page.summary == module.summary
    assert page.get_latest_revision_as_object().summary == "A clearer summary."


def test_an_editor_has_no_publish_or_unpublish_right_on_training_pages(module):
    editor = UserFactory(roles=[Role.CONTENT_EDITOR])
    permissions = module.permissions_for_user(editor)
    assert permissions.can_edit()
    assert not permissions.can_publish()
    assert not permissions.can_unpublish()


def test_an_editor_cannot_approve_their_own_submission(client, module):
    author = UserFactory(roles=[Role.CONTENT_EDITOR])
    page = submit(module, author, client)
    client.force_login(author)
    # The edit page offers the author no approve action.
    html = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).content
    assert b"workflow/action/" not in html or b"/approve/" not in html
    response = approve(client, page)
    assert response.status_code in {302, 403}
    page.refresh_from_db()
    assert page.summary != "A clearer summary."
    assert page.current_workflow_state.status == "in_progress"


def test_another_editor_approves_and_the_change_goes_live(client, module):
    author = UserFactory(roles=[Role.CONTENT_EDITOR])
    reviewer = UserFactory(roles=[Role.CONTENT_EDITOR])
    page = submit(module, author, client)
    client.force_login(reviewer)
    response = approve(client, page)
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.summary == "A clearer summary."
    assert page.current_workflow_state is None


def test_the_author_does_not_see_their_own_submission_awaiting_review(client, module):
    author = UserFactory(roles=[Role.CONTENT_EDITOR])
    submit(module, author, client)
    task = module.get_workflow().tasks.get().specific
    assert not task.get_task_states_user_can_moderate(author).exists()
    other = UserFactory(roles=[Role.CONTENT_EDITOR])
    assert task.get_task_states_user_can_moderate(other).count() == 1


def test_a_changed_module_file_waits_for_a_sense_check(tmp_path, module):
    for path in MODULES_DIR.glob("*.json"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    target = tmp_path / "understanding-cse.json"
    source = json.loads(target.read_text())
    source["summary"] = "An updated summary from the module file."
    target.write_text(json.dumps(source))
    result = load_training_content(tmp_path)
    assert result.updated == 1
    page = ModulePage.objects.get(pk=module.pk)
    assert page.summary == module.summary
    assert page.current_workflow_state.status == "in_progress"
    assert page.current_workflow_state.requested_by is None
    # Any editor can approve an import, since nobody submitted it.
    assert (
        module.get_workflow()
        .tasks.get()
        .specific.get_task_states_user_can_moderate(
            UserFactory(roles=[Role.CONTENT_EDITOR])
        )
        .exists()
    )


def test_a_sense_check_with_young_people_names_the_partner_and_no_future_date(
    module,
):
    check = SenseCheck(
        page=module,
        checked_on=timezone.localdate() + timedelta(days=1),
        reviewed_by=SenseCheckRole.YOUNG_PEOPLE,
        partner_organisation="",
        what_changed="Reworded the case of Kyle.",
    )
    with pytest.raises(ValidationError) as error:
        check.full_clean()
    assert set(error.value.message_dict) >= {"checked_on", "partner_organisation"}
    check.checked_on = timezone.localdate()
    check.partner_organisation = "A young people's participation charity"
    check.full_clean()
    check.save()
    assert (
        module.sense_checks.get().get_reviewed_by_display().startswith("Young people")
    )
