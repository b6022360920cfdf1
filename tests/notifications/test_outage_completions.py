"""Completions recorded over HTTP while Redis is down: all saved, each email sent once.

The learner's "you have completed" email is an outbox row written in the request's
transaction, so submitting a knowledge check never waits on the broker. When Redis
is back, a real worker's relay tick sends every row exactly once.
"""

import re
import time
from html import unescape

import pytest
from celery.signals import before_task_publish
from django.urls import reverse

from accounts.roles import Role
from config.celery import app as celery_app
from learning.models import Completion
from notifications.models import Notification, NotificationKind, NotificationStatus
from tests.factories.learning import html_paper, make_module, right_answers
from tests.notifications.conftest import wait_for
from tests.notifications.mail import sent_ids
from tests.notifications.test_relay_worker import DEAD_BROKER, relay_tick

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

LEARNERS = 100
TOKEN = re.compile(r'name="token" value="([0-9a-f-]{36})"')
PAPER = re.compile(r'name="paper" value="([^"]+)"')


def answer_form(module, html: str) -> dict[str, object]:
    """The knowledge-check form as the page issued it, with the right answers."""
    paper_value = unescape(PAPER.search(html).group(1))
    answers = right_answers(module)
    return {
        "token": TOKEN.search(html).group(1),
        "paper": paper_value,
        **{
            f"q-{entry['question']}": answers[entry["question"]]
            for entry in html_paper(html)
        },
    }


def test_completions_while_redis_is_down_are_saved_and_each_email_sent_once_after(
    client, make_person, settings, celery_worker, worker_queue, mail_log
):
    module = make_module("Understanding CSE")
    learners = [make_person(Role.PRACTITIONER) for _ in range(LEARNERS)]
    url = reverse("learning:knowledge_check", args=[module.pk])
    real_broker = celery_app.conf.broker_url
    timings = []
    published: list[str] = []

    def record(sender: str | None = None, **kwargs: object) -> None:
        published.append(sender or "?")

    # Waiting on the broker would mean publishing to it: count every attempt rather
    # than time the requests, which a loaded machine slows for other reasons.
    before_task_publish.connect(record, weak=False)
    try:
        # Redis is unreachable: anything that tried to publish would fail or hang.
        settings.CELERY_BROKER_URL = DEAD_BROKER
        celery_app.conf.broker_url = DEAD_BROKER
        celery_app._pool = None
        for learner in learners:
            client.force_login(learner.user)
            page = client.get(url)
            assert page.status_code == 200
            began = time.perf_counter()
            response = client.post(url, answer_form(module, page.content.decode()))
            timings.append(time.perf_counter() - began)
            assert response.status_code == 302
            assert "/attempts/" in response["Location"]
        health = client.get("/health/").json()
    finally:
        before_task_publish.disconnect(record)
        celery_app.conf.broker_url = real_broker
        celery_app._pool = None

    assert health["redis"] == "unavailable"
    assert published == [], f"a request published to the broker: {published}"
    print(f"slowest submission with Redis down: {max(timings):.3f} s")
    assert Completion.objects.count() == LEARNERS
    assert set(Completion.objects.values_list("person_id", flat=True)) == {
        learner.pk for learner in learners
    }
    pending = Notification.objects.filter(
        kind=NotificationKind.TRAINING_COMPLETED, status=NotificationStatus.PENDING
    )
    assert pending.count() == LEARNERS
    assert set(pending.values_list("recipient_id", flat=True)) == {
        learner.user_id for learner in learners
    }
    assert health["undelivered"] == LEARNERS

    # Redis is back: the next relay tick sends everything, once.
    celery_worker("worker")
    relay_tick(worker_queue)
    assert wait_for(lambda: sent_ids(mail_log).total() >= LEARNERS, timeout=30)
    time.sleep(0.5)  # let any duplicate in flight land before counting
    sent = sent_ids(mail_log)
    assert set(sent) == set(Notification.objects.values_list("pk", flat=True))
    assert len(sent) == LEARNERS and max(sent.values()) == 1
    addresses = {
        line.split()[1] for line in mail_log.read_text().splitlines() if line.strip()
    }
    assert addresses == {learner.user.email for learner in learners}
    assert not Notification.objects.undelivered().exists()
    assert Notification.objects.filter(status=NotificationStatus.SENT).count() == (
        LEARNERS
    )
