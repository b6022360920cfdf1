"""Every link in every email is absolute and opens, for its reader, the page they need.

One world produces every kind of notification (the sweep's reminders, overdue
messages, escalations and Monday digest; a completion; a finalised session; an
invitation). Each email's links are read from both bodies, must start with
``SITE_URL``, and must answer 200 when the recipient follows them signed in.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, time, timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.invitations import invite, send_password_reset
from config.links import absolute
from learning.material import require_module_version
from learning.services import submit_knowledge_check
from notifications.links import LinkBook
from notifications.models import Notification, NotificationKind
from notifications.sweep import run_daily_sweep
from supervision.bookings import book_session, cancel_booking
from supervision.services import SessionDetails, create_session, finalise_session
from tests.factories import UserFactory
from tests.factories.learning import (
    CompletionFactory,
    RequirementFactory,
    make_module,
    right_answers,
)
from tests.notifications.sweep_world import build_world
from workforce.dates import today

pytestmark = pytest.mark.django_db

SITE = "https://sustain.example"
HREF = re.compile(r'href="([^"]*)"')
TEXT_URL = re.compile(r"\S+://\S+")


def links_of(row: Notification) -> list[str]:
    html = HREF.findall(row.body_html)
    text = TEXT_URL.findall(row.body_text)
    assert sorted(set(html)) == sorted(set(text)), row.kind
    return html


@pytest.fixture
def every_kind(settings):
    settings.SITE_URL = SITE + "/"
    as_of = today()
    monday = as_of - timedelta(days=as_of.weekday())
    world = build_world()
    people = {
        "reminder_30": world.trainee(deadline=monday + timedelta(days=20)),
        "reminder_7": world.trainee(deadline=monday + timedelta(days=5)),
        "training_overdue": world.trainee(deadline=monday - timedelta(days=1)),
        "due_soon": world.supervisee(due_on=monday + timedelta(days=3)),
        "overdue": world.supervisee(due_on=monday - timedelta(days=1)),
        "escalated": world.supervisee(due_on=monday - timedelta(days=20)),
        "escalated_twice": world.supervisee(due_on=monday - timedelta(days=70)),
    }
    # One booking cancelled, and then one for tomorrow (reminded by the sweep): a
    # person has one open booking at a time.
    booked_at = timezone.make_aware(datetime.combine(monday, time(6)))
    for days in (2, 1):
        booking = book_session(
            by=world.supervisor.user,
            supervisee_id=people["overdue"].pk,
            starts_at=booked_at + timedelta(days=days, hours=4),
            duration_minutes=60,
            place="Room 2",
            now=booked_at,
        )
        if days == 2:
            cancel_booking(
                by=world.supervisor.user, booking_id=booking.pk, now=booked_at
            )
    run_daily_sweep(as_of=monday)

    learner = people["reminder_30"]
    module = make_module("Understanding CSE")
    submit_knowledge_check(
        person=learner,
        module=module,
        token=uuid.uuid4(),
        answers=right_answers(module),
        as_of=as_of,
    )
    session = create_session(
        supervisor=world.supervisor,
        supervisee_ids=[people["overdue"].pk],
        details=SessionDetails(
            held_on=as_of,
            duration_minutes=60,
            format="individual",
            case_discussions="A case",
            decisions="Decided",
            experience="Experience",
            feelings="Feelings",
            analysis="Analysis",
            learning="Learning",
            plan="Plan",
        ),
        as_of=as_of,
    )
    finalise_session(session_id=session.pk, by=world.supervisor.user, as_of=as_of)
    newcomer = UserFactory()
    invite(user=newcomer)
    send_password_reset(user=UserFactory())
    # A material change: someone who took version 1 is asked to take version 2.
    changed = make_module("Responding to CSE", content_version=2)
    changed.what_changed = "Adds the return interview within 72 hours."
    changed.save()
    veteran = people["training_overdue"]
    RequirementFactory(module=changed, job_roles=[veteran.job_role])
    CompletionFactory(
        person=veteran,
        module=changed,
        content_version=1,
        completed_on=as_of - timedelta(days=40),
    )
    require_module_version(
        module=changed,
        version=2,
        grace_days=30,
        decided_by=world.supervisor.user,
        as_of=as_of,
    )
    return world, people


def test_every_kind_is_written_and_each_link_is_absolute_and_opens_for_its_reader(
    every_kind,
):
    rows = list(Notification.objects.select_related("recipient"))
    assert {row.kind for row in rows} == set(NotificationKind.values)
    checked = 0
    for row in rows:
        links = links_of(row)
        assert links, f"{row.kind} carries no link"
        client = Client()
        reset = row.kind == NotificationKind.PASSWORD_RESET
        if row.kind != NotificationKind.INVITATION and not reset:
            # An invited person has no password yet, and someone resetting theirs
            # cannot sign in: those links are followed signed out.
            client.force_login(row.recipient)
        for link in links:
            assert link.startswith(SITE + "/"), (row.kind, link)
            parts = urlsplit(link)
            query = f"?{parts.query}" if parts.query else ""
            # A reset link hides its token by redirecting to the form once.
            response = client.get(parts.path + query, follow=reset)
            assert response.status_code == 200, (
                row.kind,
                row.recipient.username,
                link,
                response.status_code,
            )
            checked += 1
    # The action link and the notifications list; an invitation and a password
    # reset have only their own, and a daily summary one more per message it carries.
    carried = Notification.objects.filter(digest__isnull=False).count()
    assert carried > 0
    assert checked == 2 * len(rows) - 2 + carried


def test_a_supervisor_is_sent_to_their_supervisee_not_the_catalogue(every_kind):
    world, people = every_kind
    person = people["training_overdue"]
    mine = Notification.objects.get(
        kind=NotificationKind.TRAINING_OVERDUE, recipient=person.user
    )
    theirs = Notification.objects.get(
        kind=NotificationKind.TRAINING_OVERDUE, recipient=world.supervisor.user
    )
    assert absolute(reverse("learning:my_training")) in links_of(mine)
    assert absolute(reverse("learning:person_training", args=[person.pk])) in links_of(
        theirs
    )
    supervision = Notification.objects.get(
        kind=NotificationKind.SUPERVISION_OVERDUE,
        recipient=world.supervisor.user,
        subject_person=people["overdue"],
    )
    assert absolute(reverse("supervision:supervisor_dashboard")) in links_of(
        supervision
    )
    twice = Notification.objects.get(
        kind=NotificationKind.SUPERVISION_ESCALATED_TWICE,
        recipient=world.provider_manager.user,
        subject_person=people["escalated_twice"],
    )
    assert absolute(reverse("supervision:manager_view")) in links_of(twice)


def test_a_reader_who_may_not_see_the_person_gets_a_page_they_can_open(every_kind):
    """The supervisor's line manager supervises others, not this person: the first
    escalation sends them home rather than to a page that would answer 404."""
    world, people = every_kind
    row = Notification.objects.get(
        kind=NotificationKind.SUPERVISION_ESCALATED,
        recipient=world.line_manager.user,
        subject_person=people["escalated"],
    )
    assert links_of(row)[0] == absolute(reverse("home:dashboard"))
    book = LinkBook([people["escalated"].pk])
    assert not book.can_see(world.line_manager.user, people["escalated"])
    assert book.can_see(world.supervisor.user, people["escalated"])


@pytest.mark.parametrize("path", ["training/", "https://evil.example/", ""])
def test_only_site_paths_become_links(path, settings):
    settings.SITE_URL = SITE
    with pytest.raises(ValueError):
        absolute(path)


def test_a_port_in_site_url_is_kept(settings):
    settings.SITE_URL = "http://127.0.0.1:8101/"
    assert absolute("/training/") == "http://127.0.0.1:8101/training/"


def test_the_sweep_names_no_relative_link(every_kind):
    for row in Notification.objects.all():
        for body in (row.body_text, row.body_html):
            assert 'href="/' not in body
            assert not re.search(r"(^|\s)/\w+/", body), (row.kind, body)
