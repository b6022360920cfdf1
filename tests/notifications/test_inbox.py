"""The notifications page is not the email: a short message and a working link
each, true on the day it is read, and a deadline notice says when it is done."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from notifications.models import Notification
from notifications.sweep import run_daily_sweep
from tests.factories.learning import CompletionFactory
from tests.notifications.sweep_world import build_world
from workforce.dates import today

pytestmark = pytest.mark.django_db

EMAIL_ONLY = ("Dear ", "http://", "https://", "You can see all your notifications")


def links_in_items(html: str) -> list[str]:
    items = re.findall(
        r'<li class="govuk-!-margin-bottom-6" id="notification-\d+">(.*?)</li>',
        html,
        re.S,
    )
    return [
        href
        for item in items
        for href in re.findall(r'<a class="govuk-link" href="([^"]+)"', item)
    ]


def test_every_notification_is_a_short_message_with_a_working_link(client):
    as_of = today()
    world = build_world()
    world.trainee(deadline=as_of - timedelta(2))
    world.trainee(deadline=as_of + timedelta(8))
    world.supervisee(due_on=as_of - timedelta(40))  # escalated twice
    world.supervisee(due_on=as_of + timedelta(3))
    run_daily_sweep(as_of=as_of)
    recipients = {
        row.recipient for row in Notification.objects.select_related("recipient")
    }
    assert len(recipients) >= 5
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert {
        "training_overdue",
        "training_reminder_30",
        "supervision_escalated",
        "supervision_escalated_twice",
        "supervision_due_soon",
    } <= kinds

    for user in recipients:
        client.force_login(user)
        page = client.get(reverse("notifications:list")).content.decode()
        main = page[page.index("<main") : page.index("</main>")]
        for phrase in EMAIL_ONLY:
            assert phrase not in main, (user, phrase)
        links = links_in_items(page)
        # Every message is there; a daily summary email is not (its messages are).
        assert len(links) == Notification.objects.filter(recipient=user).count() - (
            Notification.objects.filter(recipient=user, kind="daily_digest").count()
        )
        for link in links:
            assert link.startswith("/")
            assert client.get(link).status_code == 200, (user, link)


def test_a_reminder_says_the_real_days_left_and_an_overdue_notice_is_done_after(client):
    as_of = today()
    world = build_world()
    soon = world.trainee(deadline=as_of + timedelta(8))
    late = world.trainee(deadline=as_of - timedelta(1))
    run_daily_sweep(as_of=as_of)

    client.force_login(soon.user)
    page = client.get(reverse("notifications:list")).content.decode()
    assert "is due in 8 days, by" in page

    CompletionFactory(person=late, module=world.requirement.module, completed_on=as_of)
    client.force_login(late.user)
    before = client.get(reverse("notifications:list")).content.decode()
    assert "has been overdue since" in before
    from learning.services import sync_training_status

    sync_training_status(person_ids=[late.pk], as_of=as_of)
    after = client.get(reverse("notifications:list")).content.decode()
    assert ">Done</strong>" in after
    assert "This is now done." in after
    assert "has been overdue since" not in after
