"""The outbox and its relay: written once, sent once, retried with backoff."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.db import transaction

from notifications.models import Notification, NotificationKind, NotificationStatus
from notifications.services import (
    MAX_ATTEMPTS,
    DeliveryResult,
    NotificationError,
    NotificationRequest,
    backoff_seconds,
    deliver_pending,
    enqueue,
    enqueue_many,
)
from tests.factories.notifications import NotificationFactory
from tests.factories.workforce import UserFactory
from tests.notifications.mail import FlakyBackend

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 15, 6, 0, tzinfo=UTC)
DEADLINE = date(2026, 3, 1)


@pytest.fixture
def supervisor(make_person):
    return make_person()


@pytest.fixture
def practitioner(make_person, supervisor):
    return make_person(supervisor=supervisor)


class TestEnqueue:
    def test_it_renders_the_email_from_the_kinds_templates(self, practitioner):
        row = enqueue(
            recipient=practitioner.user,
            kind=NotificationKind.TRAINING_OVERDUE,
            subject_person=practitioner,
            key_date=DEADLINE,
            context={"requirement": "CSE awareness"},
            now=NOW,
        )

        assert row.subject == "Your CSE awareness is overdue"
        assert "was due on 1 March 2026" in row.body_text
        assert f"Dear {practitioner.user.first_name}" in row.body_text
        assert "<p>Your CSE awareness was due on 1 March 2026" in row.body_html
        assert row.status == NotificationStatus.PENDING

    def test_a_supervisor_is_told_whose_training_is_overdue(
        self, practitioner, supervisor
    ):
        row = enqueue(
            recipient=supervisor.user,
            kind=NotificationKind.TRAINING_OVERDUE,
            subject_person=practitioner,
            key_date=DEADLINE,
            context={"requirement": "CSE awareness"},
        )

        assert row.subject == f"{practitioner.full_name}'s CSE awareness is overdue"

    def test_names_are_escaped_in_html_but_not_in_plain_text(self, make_person):
        person = make_person()
        person.user.first_name = "O'Neil <b>"
        person.user.save()

        row = enqueue(
            recipient=person.user,
            kind=NotificationKind.SUPERVISION_DUE_SOON,
            key_date=DEADLINE,
            context={},
        )

        assert "Dear O'Neil <b>," in row.body_text
        assert "O&#x27;Neil &lt;b&gt;" in row.body_html

    def test_the_same_notification_twice_is_written_once(self, practitioner):
        arguments = dict(
            recipient=practitioner.user,
            kind=NotificationKind.SUPERVISION_OVERDUE,
            subject_person=practitioner,
            key_date=DEADLINE,
            context={},
        )

        first = enqueue(**arguments)
        second = enqueue(**arguments)

        assert first is not None
        assert second is None
        assert Notification.objects.count() == 1

    def test_a_notification_about_no_one_is_also_written_once(self, practitioner):
        arguments = dict(
            recipient=practitioner.user,
            kind=NotificationKind.WEEKLY_DIGEST,
            key_date=DEADLINE,
            context={"items": ["2 people overdue"]},
        )

        enqueue(**arguments)
        enqueue(**arguments)

        assert Notification.objects.count() == 1

    def test_a_duplicate_leaves_the_callers_transaction_usable(self, practitioner):
        arguments = dict(
            recipient=practitioner.user,
            kind=NotificationKind.SUPERVISION_OVERDUE,
            subject_person=practitioner,
            key_date=DEADLINE,
            context={},
        )
        enqueue(**arguments)

        with transaction.atomic():
            assert enqueue(**arguments) is None
            # The caller carries on writing in the same transaction.
            enqueue(**{**arguments, "key_date": date(2026, 4, 1)})

        assert Notification.objects.count() == 2

    def test_it_is_rolled_back_with_the_change_it_reports(self, practitioner):
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue(
                recipient=practitioner.user,
                kind=NotificationKind.SUPERVISION_OVERDUE,
                key_date=DEADLINE,
                context={},
            )
            raise RuntimeError("the change failed")

        assert not Notification.objects.exists()

    def test_an_unknown_kind_is_refused(self, practitioner):
        with pytest.raises(NotificationError, match="unknown notification kind"):
            enqueue(
                recipient=practitioner.user,
                kind="something_else",
                key_date=DEADLINE,
                context={},
            )

    @pytest.mark.parametrize("kind", NotificationKind.values)
    def test_every_kind_has_a_subject_and_both_bodies(self, practitioner, kind):
        row = enqueue(
            recipient=practitioner.user,
            kind=kind,
            subject_person=practitioner,
            key_date=DEADLINE,
            context={},
        )

        assert row.subject.strip()
        assert "1 March 2026" in row.body_text
        assert "1 March 2026" in row.body_html


class TestEnqueueMany:
    def test_a_second_run_writes_nothing(self, make_person):
        people = [make_person() for _ in range(5)]
        requests = [
            NotificationRequest(
                recipient=person.user,
                kind=NotificationKind.TRAINING_REMINDER_30,
                subject_person=person,
                key_date=DEADLINE,
            )
            for person in people
        ]

        first = enqueue_many(requests=requests, now=NOW)
        second = enqueue_many(requests=requests, now=NOW)

        assert (first, second) == (5, 0)
        assert Notification.objects.count() == 5

    def test_only_the_new_ones_are_added(self, make_person):
        people = [make_person() for _ in range(3)]
        enqueue(
            recipient=people[0].user,
            kind=NotificationKind.TRAINING_REMINDER_7,
            subject_person=people[0],
            key_date=DEADLINE,
            context={},
        )

        added = enqueue_many(
            requests=[
                NotificationRequest(
                    recipient=person.user,
                    kind=NotificationKind.TRAINING_REMINDER_7,
                    subject_person=person,
                    key_date=DEADLINE,
                )
                for person in people
            ]
        )

        assert added == 2
        assert Notification.objects.count() == 3


class TestDeliverPending:
    def test_it_sends_each_due_notification_once_with_html(self):
        rows = NotificationFactory.create_batch(3)

        result = deliver_pending(now=NOW)
        again = deliver_pending(now=NOW + timedelta(minutes=1))

        assert result == DeliveryResult(sent=3)
        assert again == DeliveryResult()
        assert len(mail.outbox) == 3
        assert sorted(message.to[0] for message in mail.outbox) == sorted(
            row.recipient.email for row in rows
        )
        assert mail.outbox[0].alternatives[0][1] == "text/html"
        assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
        assert Notification.objects.filter(sent_at=NOW).count() == 3

    def test_a_notification_not_yet_due_waits(self):
        NotificationFactory(next_attempt_at=NOW + timedelta(minutes=5))

        assert deliver_pending(now=NOW) == DeliveryResult()
        assert deliver_pending(now=NOW + timedelta(minutes=5)).sent == 1

    def test_it_sends_at_most_a_batch_per_run_oldest_first(self):
        oldest = NotificationFactory(next_attempt_at=NOW - timedelta(hours=1))
        NotificationFactory.create_batch(4)

        result = deliver_pending(now=NOW, batch_size=2)

        assert result.sent == 2
        assert Notification.objects.get(pk=oldest.pk).status == "sent"
        assert Notification.objects.undelivered().count() == 3

    def test_given_time_it_clears_a_backlog_batch_after_batch(self):
        NotificationFactory.create_batch(7)

        result = deliver_pending(now=NOW, batch_size=2, max_seconds=60)

        assert result.sent == 7
        assert not Notification.objects.undelivered().exists()

    def test_rows_put_back_for_a_retry_are_not_tried_again_in_the_same_run(
        self, settings
    ):
        settings.EMAIL_BACKEND = "tests.notifications.mail.FlakyBackend"
        FlakyBackend.sent, FlakyBackend.failures_left = [], 3
        NotificationFactory.create_batch(3)

        result = deliver_pending(now=NOW, batch_size=1, max_seconds=60)

        assert result == DeliveryResult(retried=3)

    def test_a_row_leased_to_a_live_relay_is_left_alone(self):
        row = NotificationFactory(
            status=NotificationStatus.SENDING,
            attempts=1,
            lease_until=NOW + timedelta(minutes=5),
        )

        assert deliver_pending(now=NOW) == DeliveryResult()
        assert mail.outbox == []
        row.refresh_from_db()
        assert row.status == NotificationStatus.SENDING

    def test_a_row_whose_relay_died_is_sent_when_its_lease_runs_out(self):
        NotificationFactory(
            status=NotificationStatus.SENDING,
            attempts=1,
            lease_until=NOW - timedelta(seconds=1),
        )

        result = deliver_pending(now=NOW)

        assert result.sent == 1
        assert len(mail.outbox) == 1

    def test_someone_with_no_email_address_is_marked_failed_not_retried(self):
        NotificationFactory(recipient=UserFactory(email=""))

        result = deliver_pending(now=NOW)

        assert result == DeliveryResult(failed=1)
        assert Notification.objects.get().last_error == "no email address"


class TestRetryWhenTheMailServerFails:
    @pytest.fixture(autouse=True)
    def _flaky_mail_server(self, settings):
        settings.EMAIL_BACKEND = "tests.notifications.mail.FlakyBackend"
        FlakyBackend.failures_left = 0
        FlakyBackend.sent = []

    def test_it_backs_off_longer_each_time_then_sends_once(self):
        row = NotificationFactory()
        FlakyBackend.failures_left = 4
        now, waits = NOW, []

        while True:
            result = deliver_pending(now=now)
            row.refresh_from_db()
            if result.sent:
                break
            assert result == DeliveryResult(retried=1)
            waits.append((row.next_attempt_at - now).total_seconds())
            # Nothing happens before the retry time, then it is tried again.
            assert deliver_pending(now=row.next_attempt_at - timedelta(seconds=1)) == (
                DeliveryResult()
            )
            now = row.next_attempt_at

        assert len(waits) == 4
        assert waits == sorted(waits) and len(set(waits)) == 4
        assert 15 <= waits[0] <= 30 and 120 <= waits[3] <= 240
        assert row.status == NotificationStatus.SENT and row.attempts == 5
        assert len(FlakyBackend.sent) == 1

    def test_one_failure_does_not_hold_up_the_rest_of_the_batch(self):
        NotificationFactory.create_batch(3)
        FlakyBackend.failures_left = 1

        result = deliver_pending(now=NOW)

        assert result == DeliveryResult(sent=2, retried=1)

    def test_it_gives_up_after_the_last_attempt(self):
        row = NotificationFactory()
        FlakyBackend.failures_left = MAX_ATTEMPTS
        now = NOW

        for _ in range(MAX_ATTEMPTS):
            deliver_pending(now=now)
            row.refresh_from_db()
            now = row.next_attempt_at

        assert row.status == NotificationStatus.FAILED
        assert row.attempts == MAX_ATTEMPTS
        assert "SMTPResponseException" in row.last_error
        assert deliver_pending(now=now + timedelta(days=1)) == DeliveryResult()
        assert FlakyBackend.sent == []


class TestBackoff:
    @pytest.mark.parametrize(
        ("attempts", "low", "high"),
        [(1, 15, 30), (2, 30, 60), (3, 60, 120), (5, 240, 480), (8, 300, 600)],
    )
    def test_the_wait_doubles_with_jitter_and_is_capped(self, attempts, low, high):
        rng = random.Random(attempts)
        waits = [backoff_seconds(attempts, rng=rng) for _ in range(50)]

        assert all(low <= wait <= high for wait in waits)
        assert len(set(waits)) > 1  # jittered: relays do not retry in lockstep
