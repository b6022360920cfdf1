"""One completion per person, module and day, however many passes arrive at once.

A second pass on the same day is kept as an attempt; it adds no completion and no
"you have completed" email. PostgreSQL's unique constraint decides between
parallel requests, so these tests post from real threads, each on its own
database connection.
"""

import re
import threading
import uuid
from datetime import date

import pytest
from django.core import mail
from django.db import IntegrityError, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from learning.models import Attempt, Completion
from learning.services import submit_knowledge_check
from notifications.models import Notification, NotificationKind
from notifications.services import deliver_pending
from tests.factories.learning import CompletionFactory, make_module, right_answers
from tests.notifications.test_outage_completions import answer_form

TOKEN = re.compile(r'name="token" value="([0-9a-f-]{36})"')
PARALLEL = 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_passes_make_one_completion_and_one_email(make_person):
    module = make_module("Understanding CSE")
    learner = make_person(Role.PRACTITIONER)
    url = reverse("learning:knowledge_check", args=[module.pk])
    clients, tokens = [], []
    for _ in range(PARALLEL):
        client = Client()
        client.force_login(learner.user)
        page = client.get(url)
        assert page.status_code == 200
        clients.append(client)
        tokens.append(page.content.decode())
    assert len({TOKEN.search(html).group(1) for html in tokens}) == PARALLEL

    start = threading.Barrier(PARALLEL)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def post(client: Client, token: str) -> None:
        try:
            start.wait()
            statuses.append(client.post(url, answer_form(module, token)).status_code)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=post, args=(client, token))
        for client, token in zip(clients, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert statuses == [302] * PARALLEL
    assert Attempt.objects.filter(person=learner, passed=True).count() == PARALLEL
    assert Completion.objects.filter(person=learner, module=module).count() == 1
    assert (
        Notification.objects.filter(
            recipient=learner.user, kind=NotificationKind.TRAINING_COMPLETED
        ).count()
        == 1
    )
    mail.outbox.clear()
    deliver_pending(now=timezone.now())
    assert [message.to for message in mail.outbox] == [[learner.user.email]]


@pytest.mark.django_db
class TestARepeatPassOnTheSameDay:
    def test_is_an_attempt_with_no_new_completion(self, make_person, as_of):
        module = make_module()
        learner = make_person(Role.PRACTITIONER)
        first = submit_knowledge_check(
            person=learner,
            module=module,
            token=uuid.uuid4(),
            answers=right_answers(module),
            as_of=as_of,
        )
        again = submit_knowledge_check(
            person=learner,
            module=module,
            token=uuid.uuid4(),
            answers=right_answers(module),
            as_of=as_of,
        )
        assert first.completion is not None
        assert again.created and again.attempt.passed and again.completion is None
        assert Completion.objects.filter(person=learner).count() == 1
        assert Notification.objects.filter(recipient=learner.user).count() == 1

    def test_shows_the_days_certificate(self, client, make_person, as_of):
        module = make_module()
        learner = make_person(Role.PRACTITIONER)
        for _ in range(2):
            result = submit_knowledge_check(
                person=learner,
                module=module,
                token=uuid.uuid4(),
                answers=right_answers(module),
                as_of=as_of,
            )
        client.force_login(learner.user)
        page = client.get(reverse("learning:attempt_result", args=[result.attempt.pk]))
        completion = Completion.objects.get(person=learner)
        assert (
            reverse("learning:certificate", args=[completion.verification_id])
            in page.content.decode()
        )

    def test_the_next_day_is_a_new_cycle(self, make_person):
        module = make_module()
        learner = make_person(Role.PRACTITIONER)
        for day in (date(2026, 3, 15), date(2026, 3, 16)):
            submit_knowledge_check(
                person=learner,
                module=module,
                token=uuid.uuid4(),
                answers=right_answers(module),
                as_of=day,
            )
        assert Completion.objects.filter(person=learner).count() == 2

    def test_the_database_refuses_a_second_row_written_directly(self, as_of):
        first = CompletionFactory(completed_on=as_of)
        with pytest.raises(IntegrityError):
            CompletionFactory(
                person=first.person, module=first.module, completed_on=as_of
            )
