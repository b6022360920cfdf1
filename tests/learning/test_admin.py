"""Requirements in the Wagtail admin, and the editors' reports."""

import uuid

import pytest
from django.urls import reverse

from accounts.roles import Role
from learning.models import Feedback, TrainingStatus
from learning.services import give_feedback, submit_knowledge_check
from tests.factories import JobRoleFactory, StaffProfileFactory, UserFactory
from tests.factories.learning import make_module, right_answers, wrong_answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(make_person):
    return make_person(Role.PLATFORM_ADMIN).user


class TestRequirementAdmin:
    def test_a_platform_admin_adds_a_requirement_and_people_get_status_rows_at_once(
        self, client, admin_user
    ):
        role = JobRoleFactory(slug="youth-worker")
        person = StaffProfileFactory(job_role=role)
        module = make_module()
        client.force_login(admin_user)
        response = client.post(
            reverse("training_requirements:add"),
            {
                "module": module.pk,
                "job_roles": [role.pk],
                "effective_from": "2025-01-01",
                "initial_due_days": "60",
                "renewal_months": "",
                "due_soon_days": "30",
                "minimum_version": "1",
            },
        )
        assert response.status_code == 302
        row = TrainingStatus.objects.get(person=person)
        assert row.requirement.renewal_months is None

    def test_a_content_editor_cannot_manage_requirements(self, client):
        client.force_login(UserFactory(roles=[Role.CONTENT_EDITOR]))
        response = client.get(reverse("training_requirements:index"))
        assert response.status_code in {302, 403}


class TestCompletionAdmin:
    def test_completions_in_the_admin_are_scoped_to_people_the_user_may_see(
        self, client, make_person, as_of
    ):
        module = make_module()
        mine = make_person(Role.PLATFORM_ADMIN, Role.CONTENT_EDITOR)
        submit_knowledge_check(
            person=mine,
            module=module,
            token=uuid.uuid4(),
            answers=right_answers(module),
            as_of=as_of,
        )
        client.force_login(mine.user)
        response = client.get(reverse("training_completions:index"))
        assert response.status_code == 200
        assert mine.full_name in response.content.decode()

    def test_a_completion_cannot_be_redated_in_the_admin_behind_the_services(
        self, client, make_person, as_of
    ):
        """Evidence is never edited: a new date would leave the person's status
        rows and flags describing a completion that no longer says so."""
        from learning.models import Completion
        from tests.factories.learning import CompletionFactory

        admin = make_person(Role.PLATFORM_ADMIN)
        completion = CompletionFactory(completed_on=as_of)
        client.force_login(admin.user)

        edit = client.post(
            reverse("training_completions:edit", args=[completion.pk]),
            {"completed_on": "2001-01-01"},
        )
        inspect = client.get(
            reverse("training_completions:inspect", args=[completion.pk])
        )

        assert edit.status_code in {302, 403}
        assert Completion.objects.get(pk=completion.pk).completed_on == as_of
        assert inspect.status_code == 200


class TestReports:
    @pytest.fixture
    def activity(self, make_person, as_of):
        module = make_module("Understanding CSE")
        learner = make_person(Role.PRACTITIONER)
        submit_knowledge_check(
            person=learner,
            module=module,
            token=uuid.uuid4(),
            answers=wrong_answers(module),
            as_of=as_of,
        )
        passed = submit_knowledge_check(
            person=learner,
            module=module,
            token=uuid.uuid4(),
            answers=right_answers(module),
            as_of=as_of,
        )
        give_feedback(
            completion=passed.completion, rating=5, comment="Case studies helped."
        )
        return module

    def test_an_editor_reads_feedback_without_learners_names(self, client, activity):
        client.force_login(UserFactory(roles=[Role.CONTENT_EDITOR]))
        response = client.get(reverse("learning_reports:feedback"))
        body = response.content.decode()
        assert response.status_code == 200
        assert "Case studies helped." in body
        assert Feedback.objects.get().completion.person.full_name not in body

    def test_module_statistics_show_pass_rate_score_and_most_missed_questions(
        self, client, activity
    ):
        client.force_login(UserFactory(roles=[Role.CONTENT_EDITOR]))
        response = client.get(reverse("learning_reports:statistics"))
        body = response.content.decode()
        assert response.status_code == 200
        assert "Understanding CSE" in body
        assert ">50<" in body.replace(" ", "").replace("\n", "")  # pass rate
        assert "Is CSE a form of child sexual abuse? (1)" in body

    def test_statistics_export_as_csv(self, client, activity):
        client.force_login(UserFactory(roles=[Role.CONTENT_EDITOR]))
        response = client.get(reverse("learning_reports:statistics"), {"export": "csv"})
        text = b"".join(response.streaming_content).decode()
        assert "Understanding CSE" in text

    def test_a_practitioner_cannot_read_the_reports(self, client):
        client.force_login(UserFactory(roles=[Role.PRACTITIONER]))
        response = client.get(reverse("learning_reports:feedback"))
        assert response.status_code in {302, 403}
