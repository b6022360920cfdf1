"""The daily summary: a supervisor or manager gets one email a day holding each of
that day's messages about their people once, instead of one email per message;
each message is still on their notifications page, with its link, to mark read."""

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from notifications.digest import send_daily_digests
from notifications.models import (
    EmailFrequency,
    FlagKind,
    Notification,
    NotificationKind,
    NotificationStatus,
)
from notifications.services import deliver_pending, enqueue, set_email_frequency
from notifications.sweep import run_daily_sweep
from tests.notifications.sweep_world import build_world

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 3, 18)  # a Wednesday: no weekly digest
HREF = re.compile(r'href="([^"]*)"')


@pytest.fixture
def world():
    return build_world()


# Five deadlines, and the person due in three days has no session booked: six
# messages about one supervisor's people on one day, escalations included.
MESSAGES = 6


def a_bad_day(world):
    """Six things about one supervisor's people on one day (see MESSAGES)."""
    return [
        world.trainee(deadline=AS_OF - timedelta(2)),
        world.trainee(deadline=AS_OF),
        world.supervisee(due_on=AS_OF - timedelta(1)),
        world.supervisee(due_on=AS_OF - timedelta(20)),
        world.supervisee(due_on=AS_OF + timedelta(3)),
    ]


def emails_to(user) -> list:
    return [message for message in mail.outbox if message.to == [user.email]]


def test_every_in_app_notification_has_a_working_link_and_can_be_marked_read_and_the_daily_digest_holds_the_days_events_once(  # noqa: E501
    world, client
):
    people = a_bad_day(world)
    run_daily_sweep(as_of=AS_OF)
    deliver_pending(now=timezone.now())
    supervisor = world.supervisor.user
    about_them = Notification.objects.for_recipient(supervisor).in_inbox()
    assert about_them.count() == MESSAGES
    assert (
        about_them.filter(
            kind=NotificationKind.SUPERVISION_CHECK, reference=FlagKind.NO_BOOKING
        ).count()
        == 1
    )

    # The page: six short messages, each with a link that opens, each markable.
    client.force_login(supervisor)
    page = client.get(reverse("notifications:list")).content.decode()
    for row in about_them:
        item = page[page.index(f'id="notification-{row.pk}"') :]
        item = item[: item.index("</li>")]
        link = HREF.findall(item)[0]
        assert client.get(link).status_code == 200, (row.kind, link)
    one = about_them.first()
    client.post(reverse("notifications:read"), {"id": one.pk})
    assert about_them.unread().count() == MESSAGES - 1
    client.post(reverse("notifications:read"), {"all": "1"})
    assert about_them.unread().count() == 0

    # The email: one summary, naming each message's person once per message.
    [summary] = emails_to(supervisor)
    assert summary.subject.startswith("Your Sustain summary for 18 March 2026")
    for person in people:
        messages = about_them.filter(subject_person=person).count()
        assert summary.body.count(person.full_name) == messages, person.full_name
    html = summary.alternatives[0][0]
    item_links = HREF.findall(html)
    assert len(item_links) == MESSAGES + 2  # each message, the summary, the page
    for link in item_links:
        parts = urlsplit(link)
        query = f"?{parts.query}" if parts.query else ""
        assert client.get(parts.path + query).status_code == 200, link
    assert set(
        Notification.objects.filter(digest__isnull=False).values_list(
            "recipient", flat=True
        )
    ) <= {supervisor.pk, world.line_manager.user.pk, world.provider_manager.user.pk}
    assert not Notification.objects.filter(status=NotificationStatus.HELD).exists()

    # The people themselves were told of their own at once, an email a message: the
    # one due in three days also hears that nothing is booked.
    assert [len(emails_to(person.user)) for person in people] == [1, 1, 1, 1, 2]


def test_a_second_run_writes_no_second_summary_and_later_messages_wait_a_day(world):
    person = world.supervisee(due_on=AS_OF - timedelta(1))
    run_daily_sweep(as_of=AS_OF)
    assert send_daily_digests(as_of=AS_OF, now=timezone.now()) == 0
    # A message held after today's summary went: not a second summary today.
    enqueue(
        recipient=world.supervisor.user,
        kind=NotificationKind.SUPERVISION_ESCALATED,
        subject_person=person,
        key_date=AS_OF - timedelta(1),
        context={"url": "https://example.test/"},
    )
    assert send_daily_digests(as_of=AS_OF, now=timezone.now()) == 0
    assert send_daily_digests(as_of=AS_OF + timedelta(1), now=timezone.now()) == 1

    summaries = Notification.objects.filter(
        recipient=world.supervisor.user, kind=NotificationKind.DAILY_DIGEST
    ).order_by("key_date")
    assert [(s.key_date, s.digested.count()) for s in summaries] == [
        (AS_OF, 1),
        (AS_OF + timedelta(1), 1),
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(
            recipient=world.supervisor.user,
            kind=NotificationKind.DAILY_DIGEST,
            key_date=AS_OF,
            subject="again",
            body_text="again",
            body_html="again",
        )


def test_someone_who_chose_each_at_once_gets_an_email_per_message(world, client):
    a_bad_day(world)
    supervisor = world.supervisor.user
    client.force_login(supervisor)
    response = client.post(
        reverse("notifications:email_settings"),
        {"email_about_others": EmailFrequency.IMMEDIATE},
    )
    assert response.status_code == 302
    assert ModelLogEntry.objects.filter(
        action="sustain.notifications.email_frequency", user=supervisor
    ).exists()

    run_daily_sweep(as_of=AS_OF)
    deliver_pending(now=timezone.now())

    received = emails_to(supervisor)
    assert len(received) == MESSAGES
    assert not any(m.subject.startswith("Your Sustain summary") for m in received)


@pytest.mark.parametrize("bad", ["", "weekly", "daily' OR 1=1", "x" * 500])
def test_a_bad_choice_is_refused_beside_the_field_and_changes_nothing(
    world, client, bad
):
    supervisor = world.supervisor.user
    set_email_frequency(
        user=supervisor, frequency=EmailFrequency.IMMEDIATE, now=timezone.now()
    )
    client.force_login(supervisor)
    response = client.post(
        reverse("notifications:email_settings"), {"email_about_others": bad}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and "govuk-error-message" in page
    assert supervisor.notification_preference.email_about_others == "immediate"
    assert client.get(reverse("notifications:email_settings")).status_code == 200
