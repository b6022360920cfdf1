"""Learner, supervisor and manager pages, as the people using them would notice."""

import csv
import io
import uuid
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.roles import Role
from learning.models import Attempt, Completion, SectionProgress, TrainingException
from learning.services import sync_training_status
from tests.factories import JobRoleFactory, StaffProfileFactory, TeamFactory
from tests.factories.learning import (
    CompletionFactory,
    RequirementFactory,
    check_form,
    html_paper,
    right_answers,
    wrong_answers,
)
from workforce.dates import add_months, today
from workforce.models import StaffProfile

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_of():
    """Today, read once: pages read the real clock, so their dates count from it."""
    return today()


def day(value):
    return f"{value.day} {value:%B %Y}"


@pytest.fixture
def role():
    return JobRoleFactory(slug="social-worker", name="Social worker")


@pytest.fixture
def supervisor(make_person, role):
    return make_person(Role.SUPERVISOR, Role.PRACTITIONER, job_role=role)


@pytest.fixture
def learner(make_person, role, supervisor):
    return make_person(
        Role.PRACTITIONER,
        job_role=role,
        organisation=supervisor.organisation,
        team=supervisor.team,
        supervisor=supervisor,
        started_in_role=date(2024, 1, 1),
    )


@pytest.fixture
def requirement(role):
    return RequirementFactory(job_roles=[role])


def post_answers(client, module, answers, form=None):
    data = form or check_form(client, module, answers)
    return client.post(reverse("learning:knowledge_check", args=[module.pk]), data)


class TestMyTraining:
    def test_each_requirement_shows_its_status_in_words(
        self, client, learner, requirement, role, as_of
    ):
        in_date = RequirementFactory(job_roles=[role])
        completed = as_of - timedelta(days=12)
        CompletionFactory(person=learner, module=in_date.module, completed_on=completed)
        sync_training_status(as_of=as_of)
        client.force_login(learner.user)
        page = client.get(reverse("learning:my_training")).content.decode()
        assert "Overdue" in page
        assert f"In date until {day(add_months(completed, 12))}" in page
        assert "Start" in page

    def test_someone_without_a_staff_record_is_told_why_nothing_shows(
        self, client, django_user_model
    ):
        user = django_user_model.objects.create_user("nobody", password="x")
        client.force_login(user)
        response = client.get(reverse("learning:my_training"))
        assert "no staff record" in response.content.decode()

    def test_the_page_runs_the_same_number_of_queries_with_ten_times_the_data(
        self, client, learner, role, as_of
    ):
        def grow(times):
            for _ in range(times):
                requirement = RequirementFactory(job_roles=[role])
                CompletionFactory(
                    person=learner,
                    module=requirement.module,
                    completed_on=as_of - timedelta(days=30),
                )
            sync_training_status(as_of=as_of)

        client.force_login(learner.user)
        grow(1)
        client.get(reverse("learning:my_training"))  # warm the site-root cache
        with CaptureQueriesContext(connection) as small:
            client.get(reverse("learning:my_training"))
        grow(9)
        with CaptureQueriesContext(connection) as large:
            response = client.get(reverse("learning:my_training"))
        assert response.content.decode().count("In date until") == 10
        assert len(large) == len(small)


class TestWorkingThroughAModule:
    def test_continuing_saves_the_section_so_the_learner_resumes_there(
        self, client, learner, requirement
    ):
        module = requirement.module
        client.force_login(learner.user)
        response = client.post(module.url + "?section=1")
        assert response.url == module.url + "?section=2"
        assert SectionProgress.objects.get(person=learner).sections_done == 1
        resumed = client.get(module.url).content.decode()
        assert "Section 2 of 3" in resumed

    def test_the_last_section_leads_to_the_knowledge_check(
        self, client, learner, requirement
    ):
        module = requirement.module
        client.force_login(learner.user)
        response = client.post(module.url + "?section=3")
        assert response.url == reverse("learning:knowledge_check", args=[module.pk])

    def test_signed_out_visitors_are_sent_to_sign_in(self, client, requirement):
        response = client.get(requirement.module.url)
        assert response.status_code == 302
        assert "login" in response.url

    def test_the_knowledge_check_form_never_shows_which_answers_are_right(
        self, client, learner, requirement
    ):
        client.force_login(learner.user)
        page = client.get(
            reverse("learning:knowledge_check", args=[requirement.module.pk])
        ).content.decode()
        assert "Going missing" in page
        assert "correct" not in page.lower()
        assert "indicators" not in page  # the explanation comes after submitting


class TestSubmittingTheKnowledgeCheck:
    def test_passing_shows_the_score_each_explanation_and_a_certificate_link(
        self, client, learner, requirement
    ):
        module = requirement.module
        client.force_login(learner.user)
        response = post_answers(client, module, right_answers(module))
        result = client.get(response.url).content.decode()
        assert "You passed" in result
        assert "100%" in result
        assert "CSE is child sexual abuse." in result
        completion = Completion.objects.get(person=learner)
        assert str(completion.verification_id) in result

    def test_failing_offers_a_retry_and_keeps_the_attempt(
        self, client, learner, requirement
    ):
        module = requirement.module
        client.force_login(learner.user)
        response = post_answers(client, module, wrong_answers(module))
        result = client.get(response.url).content.decode()
        assert "Not passed this time" in result
        assert "Try the knowledge check again" in result
        assert Attempt.objects.filter(person=learner, passed=False).count() == 1

    def test_a_double_clicked_submit_records_one_attempt_and_one_completion(
        self, client, learner, requirement
    ):
        module = requirement.module
        client.force_login(learner.user)
        form = check_form(client, module, right_answers(module))
        first = post_answers(client, module, None, form)
        second = post_answers(client, module, None, form)
        assert first.url == second.url
        assert Attempt.objects.count() == 1
        assert Completion.objects.count() == 1

    def test_a_missing_answer_is_refused_with_a_message_and_nothing_recorded(
        self, client, learner, requirement
    ):
        module = requirement.module
        answers = right_answers(module)
        answers.pop(module.questions()[1].id)
        client.force_login(learner.user)
        response = post_answers(client, module, answers)
        assert response.status_code == 400
        html = response.content.decode()
        # One summary linking to the question, and an error beside the question.
        missing = module.questions()[1]
        number = 1 + [e["question"] for e in html_paper(html)].index(missing.id)
        assert f'href="#q-{missing.id}-' in html
        assert html.count(f"Answer question {number}") == 2
        assert html.count("govuk-form-group--error") == 1
        assert not Attempt.objects.exists()

    def test_every_unanswered_question_is_listed_in_one_summary(
        self, client, learner, requirement
    ):
        module = requirement.module
        client.force_login(learner.user)
        response = post_answers(client, module, {})
        html = response.content.decode()
        assert response.status_code == 400
        assert html.count("govuk-error-summary__list") == 1
        for number, entry in enumerate(html_paper(html), start=1):
            assert f'href="#q-{entry["question"]}-' in html
            assert f"Answer question {number}" in html
        assert html.count("govuk-form-group--error") == len(module.questions())

    def test_a_malformed_token_is_refused(self, client, learner, requirement):
        client.force_login(learner.user)
        response = client.post(
            reverse("learning:knowledge_check", args=[requirement.module.pk]),
            {"token": "not-a-token"},
        )
        assert response.status_code == 400
        assert not Attempt.objects.exists()

    def test_feedback_after_completing_is_saved(self, client, learner, requirement):
        module = requirement.module
        client.force_login(learner.user)
        post_answers(client, module, right_answers(module))
        completion = Completion.objects.get()
        response = client.post(
            reverse("learning:feedback", args=[completion.pk]),
            {"rating": "4", "comment": "Clear case studies."},
        )
        assert response.status_code == 302
        assert completion.feedback.rating == 4

    def test_a_rating_out_of_range_is_refused_beside_the_field(
        self, client, learner, requirement
    ):
        module = requirement.module
        client.force_login(learner.user)
        post_answers(client, module, right_answers(module))
        completion = Completion.objects.get()
        response = client.post(
            reverse("learning:feedback", args=[completion.pk]), {"rating": "9"}
        )
        assert response.status_code == 400
        assert "govuk-error-message" in response.content.decode()


class TestCertificates:
    def test_the_public_link_shows_name_module_date_and_validity_without_sign_in(
        self, client, learner, requirement, as_of
    ):
        completion = CompletionFactory(
            person=learner, module=requirement.module, completed_on=date(2025, 1, 31)
        )
        sync_training_status(as_of=as_of)
        page = client.get(
            reverse("learning:certificate", args=[completion.verification_id])
        ).content.decode()
        assert learner.full_name in page
        assert requirement.module.title in page
        assert "31 January 2025" in page
        assert "Expired" in page
        assert learner.organisation.name not in page

    def test_an_unknown_verification_link_is_not_found(self, client):
        response = client.get(reverse("learning:certificate", args=[uuid.uuid4()]))
        assert response.status_code == 404

    def test_a_practitioner_cannot_open_someone_elses_completion(
        self, client, learner, make_person, requirement
    ):
        other = make_person(Role.PRACTITIONER, organisation=learner.organisation)
        completion = CompletionFactory(person=other, module=requirement.module)
        client.force_login(learner.user)
        response = client.get(
            reverse("learning:completion_detail", args=[completion.pk])
        )
        assert response.status_code == 404

    def test_a_supervisor_can_open_their_supervisees_completion(
        self, client, learner, supervisor, requirement
    ):
        completion = CompletionFactory(person=learner, module=requirement.module)
        client.force_login(supervisor.user)
        response = client.get(
            reverse("learning:completion_detail", args=[completion.pk])
        )
        assert response.status_code == 200
        assert str(completion.verification_id) in response.content.decode()


class TestTeamMatrix:
    def test_a_practitioner_cannot_open_the_matrix(self, client, learner):
        client.force_login(learner.user)
        assert client.get(reverse("learning:team_matrix")).status_code == 403

    def test_a_supervisor_sees_their_supervisees_but_nobody_else(
        self, client, learner, supervisor, make_person, role, requirement, as_of
    ):
        stranger = make_person(Role.PRACTITIONER, job_role=role)
        sync_training_status(as_of=as_of)
        client.force_login(supervisor.user)
        page = client.get(reverse("learning:team_matrix")).content.decode()
        assert learner.full_name in page
        assert stranger.full_name not in page
        response = client.get(reverse("learning:person_training", args=[stranger.pk]))
        assert response.status_code == 404

    def test_filters_by_status_and_team(
        self, client, learner, supervisor, make_person, role, requirement, as_of
    ):
        other_team = TeamFactory(organisation=supervisor.organisation)
        done = make_person(
            Role.PRACTITIONER,
            job_role=role,
            organisation=supervisor.organisation,
            team=other_team,
            supervisor=supervisor,
        )
        CompletionFactory(person=done, module=requirement.module, completed_on=as_of)
        sync_training_status(as_of=as_of)
        client.force_login(supervisor.user)
        overdue = client.get(
            reverse("learning:team_matrix"), {"status": "overdue"}
        ).content.decode()
        assert learner.full_name in overdue
        assert done.full_name not in overdue
        by_team = client.get(
            reverse("learning:team_matrix"), {"team": other_team.pk}
        ).content.decode()
        assert done.full_name in by_team
        assert learner.full_name not in by_team

    def test_exports_as_csv_and_xlsx_with_a_status_per_cell(
        self, client, learner, supervisor, requirement, as_of
    ):
        sync_training_status(as_of=as_of)
        client.force_login(supervisor.user)
        csv_response = client.get(reverse("learning:team_matrix_export", args=["csv"]))
        text = b"".join(csv_response.streaming_content).decode()
        lines = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
        mine = next(line for line in lines if line["Name"] == learner.full_name)
        assert mine["Email"] == learner.user.email
        assert mine["Overall status"] == "Overdue"  # a column a sheet can filter on
        # Each requirement: the status in words, its date beside it.
        assert mine[f"{requirement.module.title}: status"] == "Overdue"
        assert mine[f"{requirement.module.title}: date"]
        xlsx = client.get(reverse("learning:team_matrix_export", args=["xlsx"]))
        sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
        values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
        assert learner.full_name in values

    def test_an_unknown_export_format_is_not_found(self, client, supervisor):
        client.force_login(supervisor.user)
        response = client.get(reverse("learning:team_matrix_export", args=["pdf"]))
        assert response.status_code == 404

    def test_the_matrix_runs_the_same_number_of_queries_with_ten_times_the_data(
        self, client, supervisor, role, as_of
    ):
        def grow(people, requirements):
            for _ in range(requirements):
                RequirementFactory(job_roles=[role])
            for _ in range(people):
                StaffProfileFactory(
                    job_role=role,
                    organisation=supervisor.organisation,
                    team=supervisor.team,
                    supervisor=supervisor,
                )
            sync_training_status(as_of=as_of)

        client.force_login(supervisor.user)
        grow(2, 1)
        client.get(reverse("learning:team_matrix"))
        with CaptureQueriesContext(connection) as small:
            client.get(reverse("learning:team_matrix"))
        grow(18, 9)
        with CaptureQueriesContext(connection) as large:
            response = client.get(reverse("learning:team_matrix"))
        assert "21 people" in response.content.decode()
        assert len(large) == len(small)


class TestManagerActions:
    @pytest.fixture
    def manager(self, make_person, learner):
        return make_person(Role.PROVIDER_MANAGER, organisation=learner.organisation)

    def test_a_manager_records_an_extension_and_the_matrix_shows_it(
        self, client, manager, learner, requirement, as_of
    ):
        sync_training_status(as_of=as_of)
        client.force_login(manager.user)
        response = client.post(
            reverse("learning:new_exception", args=[learner.pk]),
            {
                "requirement": requirement.pk,
                "kind": "extension",
                "reason": "sickness",
                "until": (as_of + timedelta(days=60)).isoformat(),
            },
        )
        assert response.status_code == 302
        page = client.get(reverse("learning:team_matrix")).content.decode()
        assert f"Extension until {day(as_of + timedelta(days=60))}" in page

    def test_an_extension_before_the_deadline_is_refused_beside_the_date(
        self, client, manager, learner, requirement, as_of
    ):
        CompletionFactory(
            person=learner,
            module=requirement.module,
            completed_on=as_of - timedelta(days=100),
        )
        sync_training_status(as_of=as_of)
        client.force_login(manager.user)
        response = client.post(
            reverse("learning:new_exception", args=[learner.pk]),
            {
                "requirement": requirement.pk,
                "kind": "extension",
                "reason": "sickness",
                "until": (as_of + timedelta(days=60)).isoformat(),
            },
        )
        assert response.status_code == 400
        assert "after the current deadline" in response.content.decode()
        assert not TrainingException.objects.exists()

    @pytest.mark.parametrize(
        ("data", "field_message"),
        [
            (
                {"kind": "extension", "reason": "other", "until_months": 2},
                "Say in the note what the other reason is",
            ),
            (
                {"kind": "extension", "reason": "sickness", "until_months": 7},
                "at the latest",
            ),
            (
                {"kind": "extension", "reason": "sickness", "until_years": 73},
                "at the latest",
            ),
        ],
    )
    def test_other_needs_a_note_and_an_extension_is_capped_at_six_months(
        self, client, manager, learner, requirement, as_of, data, field_message
    ):
        sync_training_status(as_of=as_of)
        client.force_login(manager.user)
        until = add_months(
            as_of, data.pop("until_months", 0) + 12 * data.pop("until_years", 0)
        )
        response = client.post(
            reverse("learning:new_exception", args=[learner.pk]),
            {"requirement": requirement.pk, "until": until.isoformat(), **data},
        )
        page = response.content.decode()
        assert response.status_code == 400
        assert field_message in page
        assert "govuk-error-message" in page
        assert not TrainingException.objects.exists()

    def test_the_service_refuses_the_same_inputs_whatever_calls_it(
        self, manager, learner, requirement, as_of
    ):
        from learning.services import InvalidException, record_exception

        sync_training_status(as_of=as_of)
        common = {
            "person": learner,
            "requirement": requirement,
            "kind": "extension",
            "recorded_by": manager.user,
            "as_of": as_of,
        }
        with pytest.raises(InvalidException, match="other reason"):
            record_exception(
                reason="other", until=add_months(as_of, 1), note=" ", **common
            )
        with pytest.raises(InvalidException, match="at the latest"):
            record_exception(
                reason="sickness", until=date(2099, 1, 1), note="", **common
            )

    def test_the_module_form_gives_editors_plain_words_not_constraint_names(
        self, requirement
    ):
        from django.core.exceptions import ValidationError

        from learning.models import ModulePage

        form_class = ModulePage.get_edit_handler().get_form_class()
        form = form_class(instance=requirement.module)
        for bad in (0, 101, None):
            form.cleaned_data = {"pass_mark_percent": bad}
            with pytest.raises(ValidationError) as refusal:
                form.clean_pass_mark_percent()
            assert "between 1 and 100" in str(refusal.value)
            assert "module_pass_mark_1_to_100" not in str(refusal.value)
        form.cleaned_data = {"pass_mark_percent": 80}
        assert form.clean_pass_mark_percent() == 80

    def test_a_supervisor_cannot_record_exceptions(self, client, supervisor, learner):
        client.force_login(supervisor.user)
        response = client.get(reverse("learning:new_exception", args=[learner.pk]))
        assert response.status_code == 403

    def test_a_manager_cannot_reach_people_in_another_organisation(
        self, client, manager, make_person
    ):
        outsider = make_person(Role.PRACTITIONER)
        client.force_login(manager.user)
        response = client.get(reverse("learning:new_exception", args=[outsider.pk]))
        assert response.status_code == 404

    @pytest.fixture
    def absence(self, manager, learner, requirement, as_of):
        from learning.services import record_exception

        sync_training_status(as_of=as_of)
        return record_exception(
            person=learner,
            requirement=requirement,
            kind="long_term_absence",
            reason="sickness",
            until=None,
            recorded_by=manager.user,
            as_of=as_of,
        )

    def test_a_manager_ends_an_absence_and_the_history_says_so(
        self, client, manager, learner, absence, as_of
    ):
        client.force_login(manager.user)
        person_page = reverse("learning:person_training", args=[learner.pk])
        close = reverse("learning:close_exception", args=[absence.pk])
        assert f'href="{close}"' in client.get(person_page).content.decode()

        response = client.post(close, {"how": "end", "note": "Back on Monday"})

        assert response.status_code == 302
        page = client.get(person_page).content.decode()
        assert f"Ended</strong> {day(as_of)}" in page and "Back on Monday" in page
        assert "Overdue" in page

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (
                {"how": "withdraw", "note": ""},
                "Say why the exception is being withdrawn",
            ),
            ({"how": "delete"}, "Select"),
            ({}, "Choose whether to end or withdraw it"),
            ({"how": "end", "note": "x" * 2001}, "Write 2,000 characters or fewer"),
        ],
    )
    def test_a_bad_close_is_refused_with_a_message_and_nothing_changes(
        self, client, manager, absence, data, message
    ):
        client.force_login(manager.user)

        response = client.post(
            reverse("learning:close_exception", args=[absence.pk]), data
        )

        assert response.status_code == 400
        body = response.content.decode()
        assert message in body and "govuk-error-summary" in body
        absence.refresh_from_db()
        assert absence.ended_on is None and absence.withdrawn_at is None

    def test_a_supervisor_cannot_close_an_exception(self, client, supervisor, absence):
        client.force_login(supervisor.user)
        response = client.post(
            reverse("learning:close_exception", args=[absence.pk]), {"how": "end"}
        )
        assert response.status_code == 403

    def test_external_training_counts_once_the_manager_approves_it(
        self, client, manager, learner, requirement, as_of
    ):
        sync_training_status(as_of=as_of)
        client.force_login(manager.user)
        client.post(
            reverse("learning:new_external_training", args=[learner.pk]),
            {
                "module": requirement.module.pk,
                "title": "Partnership CSE day",
                "provider": "Safeguarding partnership",
                "completed_on": (as_of - timedelta(days=5)).isoformat(),
                "evidence_reference": "NSP-114",
            },
        )
        assert not Completion.objects.exists()
        record = learner.external_training.get()
        client.post(reverse("learning:approve_external", args=[record.pk]))
        assert Completion.objects.get().external == record


class TestHomePanels:
    def test_a_practitioner_sees_their_overdue_training_on_the_home_page(
        self, client, learner, requirement, as_of
    ):
        sync_training_status(as_of=as_of)
        client.force_login(learner.user)
        page = client.get(reverse("home:dashboard")).content.decode()
        assert "Your training" in page
        assert requirement.module.title in page

    def test_a_supervisor_sees_how_many_of_their_people_are_overdue(
        self, client, learner, supervisor, requirement, as_of
    ):
        sync_training_status(as_of=as_of)
        client.force_login(supervisor.user)
        page = client.get(reverse("home:dashboard")).content.decode()
        assert "1 overdue" in page
        assert StaffProfile.objects.count() == 2


@pytest.mark.django_db
def test_feedback_with_no_rating_chosen_is_refused_and_nothing_is_saved(
    client, learner, requirement
):
    module = requirement.module
    client.force_login(learner.user)
    response = post_answers(client, module, right_answers(module))
    page = client.get(response.url).content.decode()
    # Nothing is chosen for the learner: the first choice is the blank prompt.
    assert '<option value="" selected>Choose a rating</option>' in page
    completion = Completion.objects.get()
    response = client.post(
        reverse("learning:feedback", args=[completion.pk]), {"comment": "Clear."}
    )
    assert response.status_code == 400
    assert "Choose how useful the module was" in response.content.decode()
    assert not hasattr(Completion.objects.get(), "feedback")
