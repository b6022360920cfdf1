"""Completions and finalised sessions write their notification in the same transaction.

Learning and supervision send plain signals; ``notifications.receivers`` turns them
into outbox rows inside the sender's transaction, so the row exists exactly when the
completion or the finalised session does.
"""

import ast
import uuid
from datetime import date
from pathlib import Path

import pytest
from django.db import transaction
from django.urls import reverse

from accounts.roles import Role
from learning.models import Completion, ExternalTraining
from learning.services import approve_external_training, submit_knowledge_check
from notifications.models import Notification, NotificationKind
from notifications.receivers import notify_training_completed
from supervision.services import SessionDetails, create_session, finalise_session
from tests.factories.learning import (
    CompletionFactory,
    make_module,
    right_answers,
    wrong_answers,
)

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent.parent
MARKER = "ZEBRA-MARKER-7731"


class Rollback(Exception):
    """Raised inside a transaction after the change, to undo it."""


def submit(person, module, *, token=None, answers=None, as_of):
    return submit_knowledge_check(
        person=person,
        module=module,
        token=token or uuid.uuid4(),
        answers=answers if answers is not None else right_answers(module),
        as_of=as_of,
    )


class TestTrainingCompleted:
    def test_completing_a_module_writes_one_notification_to_the_learner(
        self, make_person, as_of, settings
    ):
        settings.SITE_URL = "https://sustain.example/"
        person = make_person(Role.PRACTITIONER)
        module = make_module("Understanding CSE")

        result = submit(person, module, as_of=as_of)

        row = Notification.objects.get()
        assert row.kind == NotificationKind.TRAINING_COMPLETED
        assert row.recipient == person.user
        assert row.subject_person == person
        assert row.key_date == as_of == result.completion.completed_on
        assert row.subject == "You have completed Understanding CSE"
        certificate = "https://sustain.example" + reverse(
            "learning:certificate", args=[result.completion.verification_id]
        )
        for body in (row.body_text, row.body_html):
            assert "Understanding CSE" in body
            assert f"{as_of.day} {as_of:%B %Y}" in body
            assert certificate in body

    def test_a_failure_after_it_in_the_transaction_rolls_both_back(
        self, make_person, as_of
    ):
        person = make_person(Role.PRACTITIONER)
        module = make_module()

        with pytest.raises(Rollback), transaction.atomic():
            submit(person, module, as_of=as_of)
            assert Completion.objects.count() == 1
            assert Notification.objects.count() == 1
            raise Rollback

        assert not Completion.objects.exists()
        assert not Notification.objects.exists()

    def test_the_same_form_sent_twice_writes_one_notification(self, make_person, as_of):
        person = make_person(Role.PRACTITIONER)
        module = make_module()
        token = uuid.uuid4()

        first = submit(person, module, token=token, as_of=as_of)
        second = submit(person, module, token=token, as_of=as_of)

        assert second.created is False
        assert second.completion == first.completion
        assert Completion.objects.count() == 1
        assert (
            Notification.objects.filter(
                kind=NotificationKind.TRAINING_COMPLETED
            ).count()
            == 1
        )

    def test_failing_the_check_writes_nothing(self, make_person, as_of):
        person = make_person(Role.PRACTITIONER)
        module = make_module()

        submit(person, module, answers=wrong_answers(module), as_of=as_of)

        assert not Notification.objects.exists()

    def test_approving_external_training_notifies_the_learner_once(
        self, make_person, as_of
    ):
        person = make_person(Role.PRACTITIONER)
        manager = make_person(Role.PROVIDER_MANAGER)
        record = ExternalTraining.objects.create(
            person=person,
            module=make_module("Exploitation in context"),
            title="Face-to-face course",
            provider="Safeguarding partnership",
            completed_on=date(2026, 2, 10),
            evidence_reference="REF-1",
            recorded_by=manager.user,
        )

        for _ in range(2):
            approve_external_training(
                record=record, approved_by=manager.user, as_of=as_of
            )

        row = Notification.objects.get()
        assert row.kind == NotificationKind.TRAINING_COMPLETED
        assert row.recipient == person.user
        assert row.key_date == date(2026, 2, 10)
        assert "Exploitation in context" in row.subject


@pytest.fixture
def group(make_person):
    """A supervisor and three supervisees in the same organisation and team."""
    supervisor = make_person(Role.SUPERVISOR, Role.PRACTITIONER)
    supervisees = [
        make_person(
            Role.PRACTITIONER,
            organisation=supervisor.organisation,
            team=supervisor.team,
            supervisor=supervisor,
        )
        for _ in range(3)
    ]
    return supervisor, supervisees


def draft_group_session(supervisor, supervisees, *, held_on, as_of):
    session = create_session(
        supervisor=supervisor,
        supervisee_ids=[person.pk for person in supervisees],
        details=SessionDetails(
            held_on=held_on,
            duration_minutes=90,
            format="group",
            # Every content field carries the marker: none may reach an email.
            case_discussions=f"Case ref 12 {MARKER}",
            decisions=MARKER,
            experience=MARKER,
            feelings=MARKER,
            analysis=MARKER,
            learning=MARKER,
            plan=MARKER,
            wellbeing_discussed=True,
        ),
        as_of=as_of,
    )
    # Each supervisee's own wellbeing notes carry it too.
    session.attendances.update(wellbeing_notes=MARKER)
    return session


class TestSessionReady:
    def test_finalising_a_group_session_notifies_each_supervisee_once_without_content(
        self, group, as_of, settings
    ):
        settings.SITE_URL = "https://sustain.example"
        supervisor, supervisees = group
        held_on = date(2026, 3, 2)
        session = draft_group_session(
            supervisor, supervisees, held_on=held_on, as_of=as_of
        )

        finalise_session(session_id=session.pk, by=supervisor.user, as_of=as_of)

        rows = Notification.objects.filter(kind=NotificationKind.SESSION_READY)
        assert sorted(row.recipient_id for row in rows) == sorted(
            person.user_id for person in supervisees
        )
        assert Notification.objects.count() == 3, "the supervisor gets none"
        link = "https://sustain.example" + reverse(
            "supervision:session_detail", args=[session.pk]
        )
        for row in rows:
            assert row.key_date == held_on
            assert row.subject == "Your supervision record is ready to read"
            for text in (row.subject, row.body_text, row.body_html):
                assert MARKER not in text
                assert "Case ref" not in text
            for body in (row.body_text, row.body_html):
                assert supervisor.full_name in body
                assert "2 March 2026" in body
                assert link in body

    def test_a_failure_after_finalising_rolls_the_notifications_back(
        self, group, as_of
    ):
        supervisor, supervisees = group
        session = draft_group_session(
            supervisor, supervisees, held_on=date(2026, 3, 2), as_of=as_of
        )

        with pytest.raises(Rollback), transaction.atomic():
            finalise_session(session_id=session.pk, by=supervisor.user, as_of=as_of)
            assert Notification.objects.count() == 3
            raise Rollback

        session.refresh_from_db()
        assert session.is_draft
        assert not Notification.objects.exists()


def test_learning_and_supervision_never_import_notifications():
    """Dependencies point one way: the receivers live in notifications."""
    offenders = []
    for app in ("learning", "supervision", "workforce"):
        for path in (BASE_DIR / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                if any(name.split(".")[0] == "notifications" for name in names):
                    offenders.append(str(path.relative_to(BASE_DIR)))
    assert offenders == []


class TestTwoOfAKindOnOneDay:
    def test_two_modules_completed_on_one_day_give_two_notifications(self):
        first = CompletionFactory()
        second = CompletionFactory(person=first.person, completed_on=first.completed_on)
        Notification.objects.all().delete()

        for completion in Completion.objects.filter(pk__in=[first.pk, second.pk]):
            notify_training_completed(sender=None, completion=completion)
            notify_training_completed(sender=None, completion=completion)

        assert Notification.objects.filter(kind="training_completed").count() == 2
