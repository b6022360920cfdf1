"""Services: marking, completions, exceptions, external training and status sync."""

import uuid
from datetime import date

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from wagtail.models import ModelLogEntry

from learning.models import Attempt, Completion, TrainingException, TrainingStatus
from learning.rules import ExceptionKind, Status, training_status
from learning.services import (
    InvalidAnswers,
    InvalidException,
    InvalidExternalTraining,
    approve_external_training,
    end_exception,
    record_exception,
    record_external_training,
    save_section_progress,
    submit_knowledge_check,
    sync_training_status,
    withdraw_exception,
)
from tests.factories import JobRoleFactory, StaffProfileFactory, UserFactory
from tests.factories.learning import (
    CompletionFactory,
    RequirementFactory,
    make_module,
    right_answers,
    wrong_answers,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def role():
    return JobRoleFactory(slug="social-worker", name="Social worker")


@pytest.fixture
def requirement(role):
    return RequirementFactory(job_roles=[role])


@pytest.fixture
def person(role):
    return StaffProfileFactory(job_role=role, started_in_role=date(2024, 1, 1))


def audit_actions(instance):
    return list(
        ModelLogEntry.objects.filter(
            object_id=str(instance.pk), action__startswith="sustain.exception."
        )
        .exclude(action="sustain.exception.record")
        .values_list("action", flat=True)
    )


def status_of(person, requirement, as_of):
    row = TrainingStatus.objects.get(person=person, requirement=requirement)
    return training_status(row.dates, as_of=as_of)


class TestSubmitKnowledgeCheck:
    def test_passing_records_an_attempt_and_a_completion_with_version_and_revision(
        self, person, requirement, as_of
    ):
        module = requirement.module
        result = submit_knowledge_check(
            person=person,
            module=module,
            token=uuid.uuid4(),
            answers=right_answers(module),
            as_of=as_of,
        )
        assert result.attempt.score_percent == 100
        assert result.completion.completed_on == as_of
        assert result.completion.content_version == module.content_version
        assert result.completion.revision_id == module.live_revision_id
        assert status_of(person, requirement, as_of) == Status.IN_DATE

    def test_failing_keeps_the_attempt_but_records_no_completion(
        self, person, requirement, as_of
    ):
        module = requirement.module
        result = submit_knowledge_check(
            person=person,
            module=module,
            token=uuid.uuid4(),
            answers=wrong_answers(module),
            as_of=as_of,
        )
        assert result.attempt.passed is False
        assert result.attempt.score_percent == 0
        assert len(result.attempt.missed_question_ids) == 2
        assert result.completion is None

    def test_a_retry_after_failing_is_kept_as_a_second_attempt(
        self, person, requirement, as_of
    ):
        module = requirement.module
        for answers in (wrong_answers(module), right_answers(module)):
            submit_knowledge_check(
                person=person,
                module=module,
                token=uuid.uuid4(),
                answers=answers,
                as_of=as_of,
            )
        assert Attempt.objects.filter(person=person).count() == 2
        assert Completion.objects.filter(person=person).count() == 1

    def test_the_same_form_sent_twice_records_one_attempt_and_one_completion(
        self, person, requirement, as_of
    ):
        module, token = requirement.module, uuid.uuid4()
        first = submit_knowledge_check(
            person=person,
            module=module,
            token=token,
            answers=right_answers(module),
            as_of=as_of,
        )
        second = submit_knowledge_check(
            person=person,
            module=module,
            token=token,
            answers=right_answers(module),
            as_of=as_of,
        )
        assert second.created is False
        assert second.completion == first.completion
        assert Attempt.objects.count() == 1
        assert Completion.objects.count() == 1

    def test_a_partly_right_multiple_choice_answer_counts_as_missed(
        self, person, requirement, as_of
    ):
        module = requirement.module
        answers = right_answers(module)
        multiple = module.questions()[1]
        answers[multiple.id] = [sorted(multiple.correct_keys)[0]]
        result = submit_knowledge_check(
            person=person,
            module=module,
            token=uuid.uuid4(),
            answers=answers,
            as_of=as_of,
        )
        assert result.attempt.score_percent == 50
        assert result.attempt.missed_question_ids == [multiple.id]

    @pytest.mark.parametrize(
        ("spoil", "message"),
        [
            (lambda a, qs: a.pop(qs[0].id), "Answer question 1."),
            (lambda a, qs: a.update({qs[0].id: ["7"]}), "not one of its options"),
            (lambda a, qs: a.update({qs[0].id: ["yes"]}), "not one of its options"),
            (lambda a, qs: a.update({qs[0].id: qs[0].keys[:2]}), "Choose one answer"),
            (lambda a, qs: a.update({"made-up": ["0"]}), "do not match"),
        ],
    )
    def test_a_missing_unknown_or_malformed_answer_is_refused_and_records_nothing(
        self, person, requirement, as_of, spoil, message
    ):
        module = requirement.module
        answers = right_answers(module)
        spoil(answers, module.questions())
        with pytest.raises(InvalidAnswers, match=message):
            submit_knowledge_check(
                person=person,
                module=module,
                token=uuid.uuid4(),
                answers=answers,
                as_of=as_of,
            )
        assert not Attempt.objects.exists()

    def test_someone_elses_token_is_refused(self, person, requirement, as_of):
        module, token = requirement.module, uuid.uuid4()
        submit_knowledge_check(
            person=person,
            module=module,
            token=token,
            answers=right_answers(module),
            as_of=as_of,
        )
        other = StaffProfileFactory(job_role=person.job_role)
        with pytest.raises(InvalidAnswers):
            submit_knowledge_check(
                person=other,
                module=module,
                token=token,
                answers=right_answers(module),
                as_of=as_of,
            )


class TestSectionProgress:
    def test_progress_is_saved_and_never_goes_backwards(self, person):
        module = make_module(sections=3)
        save_section_progress(person=person, module=module, sections_done=2)
        progress = save_section_progress(person=person, module=module, sections_done=1)
        assert progress.sections_done == 2
        progress = save_section_progress(person=person, module=module, sections_done=9)
        assert progress.sections_done == 3


class TestSyncTrainingStatus:
    def test_a_new_person_gets_a_row_due_after_their_start(self, role, requirement):
        person = StaffProfileFactory(job_role=role, started_in_role=date(2026, 1, 10))
        sync_training_status(person_ids=[person.pk], as_of=date(2026, 1, 10))
        row = TrainingStatus.objects.get(person=person)
        assert row.first_due_on == date(2026, 4, 10)
        assert row.deadline == date(2026, 4, 10)

    def test_a_run_repairs_drift_and_a_second_run_changes_nothing(
        self, person, requirement, as_of
    ):
        TrainingStatus.objects.all().delete()  # drift: the row went missing
        assert sync_training_status(as_of=as_of) == 1
        assert sync_training_status(as_of=as_of) == 0

    def test_people_in_other_roles_or_organisations_get_no_row(self, role, as_of):
        inside = StaffProfileFactory(job_role=role)
        RequirementFactory(job_roles=[role], organisations=[inside.organisation])
        StaffProfileFactory(job_role=role)  # another organisation
        StaffProfileFactory(job_role=JobRoleFactory(slug="police"))
        sync_training_status(as_of=as_of)
        assert list(TrainingStatus.objects.values_list("person", flat=True)) == [
            inside.pk
        ]

    def test_completions_of_an_older_version_do_not_count(self, person, role, as_of):
        module = make_module(content_version=2)
        requirement = RequirementFactory(
            module=module, job_roles=[role], minimum_version=2
        )
        CompletionFactory(
            person=person,
            module=module,
            content_version=1,
            completed_on=date(2026, 1, 5),
        )
        sync_training_status(as_of=as_of)
        assert status_of(person, requirement, as_of) == Status.OVERDUE
        CompletionFactory(
            person=person,
            module=module,
            content_version=2,
            completed_on=date(2026, 1, 6),
        )
        sync_training_status(as_of=as_of)
        assert status_of(person, requirement, as_of) == Status.IN_DATE

    def test_a_new_completion_adds_a_cycle_and_keeps_the_old_one(
        self, person, requirement, as_of
    ):
        CompletionFactory(
            person=person, module=requirement.module, completed_on=date(2025, 1, 31)
        )
        CompletionFactory(
            person=person, module=requirement.module, completed_on=date(2026, 1, 20)
        )
        sync_training_status(as_of=as_of)
        row = TrainingStatus.objects.get(person=person)
        assert row.last_completed_on == date(2026, 1, 20)
        assert row.valid_until == date(2027, 1, 20)
        assert Completion.objects.filter(person=person).count() == 2

    def test_a_leaver_loses_their_rows(self, person, requirement, as_of):
        sync_training_status(as_of=as_of)
        person.left_on = date(2026, 3, 1)
        person.save()
        assert sync_training_status(as_of=as_of) == 1
        assert not TrainingStatus.objects.exists()

    def test_changing_a_requirement_updates_everyones_rows_at_once(
        self, person, requirement, as_of
    ):
        sync_training_status(as_of=as_of)
        requirement.initial_due_days = 10
        requirement.save()
        row = TrainingStatus.objects.get(person=person)
        assert row.first_due_on == date(2024, 1, 11)

    def test_adding_a_job_role_to_a_requirement_gives_those_people_rows(
        self, requirement, as_of
    ):
        police = JobRoleFactory(slug="police")
        officer = StaffProfileFactory(job_role=police)
        requirement.job_roles.add(police)
        assert TrainingStatus.objects.filter(person=officer).exists()

    def test_long_term_absence_on_the_staff_record_pauses_the_requirement(
        self, person, requirement, as_of
    ):
        person.long_term_absence_from = date(2026, 2, 1)
        person.save()
        sync_training_status(person_ids=[person.pk], as_of=as_of)
        assert status_of(person, requirement, as_of) == Status.LONG_TERM_ABSENCE
        person.long_term_absence_from = None
        person.save()
        sync_training_status(person_ids=[person.pk], as_of=as_of)
        assert status_of(person, requirement, as_of) == Status.OVERDUE

    def test_a_role_change_signal_moves_the_person_to_the_new_requirements(
        self, person, requirement, as_of
    ):
        from workforce.signals import staff_changed

        sync_training_status(as_of=as_of)
        person.job_role = JobRoleFactory(slug="police")
        person.save()
        staff_changed.send(sender=type(person), profile_ids=[person.pk])
        assert not TrainingStatus.objects.filter(person=person).exists()


class TestRecordException:
    def test_an_extension_after_the_deadline_shows_as_an_extension(
        self, person, requirement, as_of
    ):
        sync_training_status(as_of=as_of)
        manager = UserFactory()
        record_exception(
            person=person,
            requirement=requirement,
            kind=ExceptionKind.EXTENSION,
            reason="sickness",
            until=date(2026, 5, 1),
            recorded_by=manager,
            as_of=as_of,
        )
        assert status_of(person, requirement, as_of) == Status.EXTENSION
        assert status_of(person, requirement, date(2026, 5, 1)) == Status.OVERDUE

    def test_an_extension_on_or_before_the_current_deadline_is_refused(
        self, person, requirement, as_of
    ):
        CompletionFactory(
            person=person, module=requirement.module, completed_on=date(2025, 6, 1)
        )
        sync_training_status(as_of=as_of)
        with pytest.raises(InvalidException, match="after the current deadline"):
            record_exception(
                person=person,
                requirement=requirement,
                kind=ExceptionKind.EXTENSION,
                reason="sickness",
                until=date(2026, 6, 1),
                recorded_by=UserFactory(),
                as_of=as_of,
            )
        record_exception(
            person=person,
            requirement=requirement,
            kind=ExceptionKind.EXTENSION,
            reason="sickness",
            until=date(2026, 6, 2),
            recorded_by=UserFactory(),
            as_of=as_of,
        )

    @pytest.mark.parametrize(
        ("kind", "status"),
        [
            (ExceptionKind.EXEMPT, Status.EXEMPT),
            (ExceptionKind.LONG_TERM_ABSENCE, Status.LONG_TERM_ABSENCE),
        ],
    )
    def test_an_exemption_or_absence_replaces_overdue(
        self, person, requirement, as_of, kind, status
    ):
        sync_training_status(as_of=as_of)
        assert status_of(person, requirement, as_of) == Status.OVERDUE
        record_exception(
            person=person,
            requirement=requirement,
            kind=kind,
            reason="parental_leave",
            until=None,
            recorded_by=UserFactory(),
            as_of=as_of,
        )
        assert status_of(person, requirement, as_of) == status

    def test_an_exception_for_a_requirement_that_does_not_apply_is_refused(
        self, requirement, as_of
    ):
        outsider = StaffProfileFactory(job_role=JobRoleFactory(slug="police"))
        with pytest.raises(InvalidException, match="does not apply"):
            record_exception(
                person=outsider,
                requirement=requirement,
                kind=ExceptionKind.EXEMPT,
                reason="other",
                until=None,
                recorded_by=UserFactory(),
                as_of=as_of,
            )


def absence(person, requirement, as_of, *, reason="parental_leave"):
    sync_training_status(as_of=as_of)
    return record_exception(
        person=person,
        requirement=requirement,
        kind=ExceptionKind.LONG_TERM_ABSENCE,
        reason=reason,
        until=None,
        recorded_by=UserFactory(),
        as_of=as_of,
    )


class TestCloseException:
    def test_ending_an_absence_brings_the_status_back_and_keeps_the_row(
        self, person, requirement, as_of
    ):
        exception = absence(person, requirement, as_of)
        manager = UserFactory()

        end_exception(
            exception_id=exception.pk, ended_by=manager, as_of=as_of, note="Back"
        )

        exception.refresh_from_db()
        assert status_of(person, requirement, as_of) == Status.OVERDUE
        assert exception.ended_on == as_of and exception.closed_by == manager
        assert audit_actions(exception) == ["sustain.exception.end"]

    def test_withdrawing_the_latest_lets_the_earlier_exception_count_again(
        self, person, requirement, as_of
    ):
        earlier = absence(person, requirement, as_of)
        mistake = record_exception(
            person=person,
            requirement=requirement,
            kind=ExceptionKind.EXEMPT,
            reason="other",
            note="Wrong person",
            until=None,
            recorded_by=UserFactory(),
            as_of=as_of,
        )
        assert status_of(person, requirement, as_of) == Status.EXEMPT

        withdraw_exception(
            exception_id=mistake.pk,
            withdrawn_by=UserFactory(),
            as_of=as_of,
            note="Recorded for the wrong person",
        )

        assert status_of(person, requirement, as_of) == Status.LONG_TERM_ABSENCE
        assert TrainingException.objects.filter(pk=mistake.pk).exists()
        assert audit_actions(mistake) == ["sustain.exception.withdraw"]
        assert earlier.pk != mistake.pk

    def test_withdrawing_needs_a_reason(self, person, requirement, as_of):
        exception = absence(person, requirement, as_of)
        with pytest.raises(InvalidException, match="Say why"):
            withdraw_exception(
                exception_id=exception.pk,
                withdrawn_by=UserFactory(),
                as_of=as_of,
                note="  ",
            )

    def test_a_closed_exception_cannot_be_closed_again(
        self, person, requirement, as_of
    ):
        exception = absence(person, requirement, as_of)
        manager = UserFactory()
        end_exception(exception_id=exception.pk, ended_by=manager, as_of=as_of)
        with pytest.raises(InvalidException, match="already been closed"):
            withdraw_exception(
                exception_id=exception.pk,
                withdrawn_by=manager,
                as_of=as_of,
                note="Too late",
            )

    def test_the_database_refuses_an_exception_both_ended_and_withdrawn(
        self, person, requirement, as_of
    ):
        exception = absence(person, requirement, as_of)
        with pytest.raises(IntegrityError), transaction.atomic():
            TrainingException.objects.filter(pk=exception.pk).update(
                ended_on=as_of, withdrawn_at=timezone.now()
            )


class TestExternalTraining:
    def test_external_training_counts_only_once_approved(
        self, person, requirement, as_of
    ):
        sync_training_status(as_of=as_of)
        manager = UserFactory()
        record = record_external_training(
            person=person,
            module=requirement.module,
            title="Partnership CSE day",
            provider="Northshire Safeguarding Partnership",
            completed_on=date(2026, 3, 10),
            evidence=None,
            evidence_reference="NSP-2026-114",
            recorded_by=manager,
            as_of=as_of,
        )
        assert status_of(person, requirement, as_of) == Status.OVERDUE
        completion = approve_external_training(
            record=record, approved_by=manager, as_of=as_of
        )
        assert completion.completed_on == date(2026, 3, 10)
        assert status_of(person, requirement, as_of) == Status.IN_DATE
        again = approve_external_training(
            record=record, approved_by=manager, as_of=as_of
        )
        assert again == completion

    def test_a_completion_date_in_the_future_is_refused(
        self, person, requirement, as_of
    ):
        with pytest.raises(InvalidExternalTraining, match="future"):
            record_external_training(
                person=person,
                module=requirement.module,
                title="Course",
                provider="Partnership",
                completed_on=date(2026, 3, 16),
                evidence=None,
                evidence_reference="REF",
                recorded_by=UserFactory(),
                as_of=as_of,
            )

    def test_external_training_without_evidence_is_refused(
        self, person, requirement, as_of
    ):
        with pytest.raises(InvalidExternalTraining, match="evidence"):
            record_external_training(
                person=person,
                module=requirement.module,
                title="Course",
                provider="Partnership",
                completed_on=date(2026, 3, 1),
                evidence=None,
                evidence_reference=" ",
                recorded_by=UserFactory(),
                as_of=as_of,
            )


class TestSyncTask:
    def test_the_task_repairs_rows_and_a_second_run_reports_nothing(
        self, person, requirement, as_of
    ):
        from learning.tasks import sync_training_status_task

        TrainingStatus.objects.all().delete()
        assert sync_training_status_task(as_of=as_of.isoformat()) == 1
        assert sync_training_status_task(as_of=as_of.isoformat()) == 0
