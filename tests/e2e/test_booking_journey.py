"""Booking the next session in Chromium, with axe on every page: the supervisor
books from their supervisee list, moves it from a session's page and cancels it;
the supervisee sees it on their own page; each change reaches both calendars; an
attacker's ids answer 404."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from notifications.models import Notification, NotificationKind
from supervision.bookings import book_session, minimum_minutes
from supervision.models import SessionBooking, SupervisionSession
from tests.e2e.test_journeys import _error_for, _fill_date
from workforce.dates import today
from workforce.models import StaffProfile

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _events(kind: str, recipient) -> list:  # type: ignore[no-untyped-def]
    events = []
    for notification in Notification.objects.filter(
        kind=kind, recipient=recipient
    ).order_by("pk"):
        (attachment,) = notification.attachments.all()
        calendar = Calendar.from_ical(bytes(attachment.content))
        events.append((str(calendar["METHOD"]), calendar.walk("VEVENT")[0]))
    return events


def test_a_supervisor_books_moves_and_cancels_and_the_supervisee_sees_it(
    page, demo, switch_to, assert_accessible
):
    practitioner = StaffProfile.objects.get(user__username="practitioner")
    supervisor = practitioner.supervisor
    name = practitioner.full_name
    switch_to("supervisor")
    page.goto("/supervision/supervisees/")
    page.get_by_role("link", name=f"Book the next session with {name}").click()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Book the next session"
    )
    assert_accessible(page)

    # Bad input: a day gone by and a one-minute session, each error beside its
    # field, nothing booked.
    _fill_date(page, "Date of the session", today() - timedelta(days=1))
    page.get_by_label("Start time").fill("14:30")
    length = page.get_by_label("Length in minutes")
    length.fill("1")
    page.get_by_role("radio", name="In person").check()
    page.get_by_label("Where you will meet").fill("The small meeting room")
    page.get_by_role("button", name="Continue").click()
    assert page.title().startswith("Error: ")
    assert "today or in the future" in _error_for(
        page, page.get_by_role("group", name="Date of the session")
    )
    shortest = minimum_minutes(practitioner)
    assert shortest > 1
    assert f"at least {shortest} minutes" in _error_for(page, length)
    assert not SessionBooking.objects.exists()
    assert_accessible(page)

    # Good input: check the answers, then book.
    day = today() + timedelta(days=8)
    _fill_date(page, "Date of the session", day)
    length.fill("90")
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Check the session before sending the invitation"
    )
    assert "The small meeting room" in page.locator("main").inner_text()
    assert not SessionBooking.objects.exists()
    assert_accessible(page)
    page.get_by_role("button", name="Book and send the invitation").click()
    page.wait_for_url(re.compile(r"/supervision/supervisees/"))
    booking = SessionBooking.objects.get()
    assert timezone.localtime(booking.starts_at).strftime("%H:%M") == "14:30"
    assert "Sessions booked" in page.locator("main").inner_text()
    assert_accessible(page)
    for person in (practitioner, supervisor):
        ((method, event),) = _events(NotificationKind.SESSION_BOOKED, person.user)
        assert method == "REQUEST" and str(event["UID"]) == booking.uid
        assert event.decoded("DTSTART") == booking.starts_at
        assert {str(a).lower() for a in event["ATTENDEE"]} == {
            f"mailto:{practitioner.user.email}".lower(),
            f"mailto:{supervisor.user.email}".lower(),
        }

    # The supervisee sees it on their own page.
    switch_to("practitioner")
    page.goto("/supervision/")
    main = page.locator("main").inner_text()
    assert "The small meeting room" in main and supervisor.full_name in main
    assert_accessible(page)

    # The supervisor moves it online from one of their sessions with them.
    switch_to("supervisor")
    session = (
        SupervisionSession.objects.filter(
            supervisor=supervisor, attendances__person=practitioner
        )
        .exclude(state="cancelled")
        .latest("held_on")
    )
    page.goto(f"/supervision/sessions/{session.pk}/")
    page.get_by_role("link", name=f"Change the next session with {name}").click()
    assert_accessible(page)
    page.get_by_label("Start time").fill("10:00")
    page.get_by_role("radio", name="Online").check()
    page.get_by_label("Link to the online meeting").fill("https://meet.example.org/x")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Send the update").click()
    page.wait_for_url(f"**/supervision/sessions/{session.pk}/")
    assert "online" in page.locator("main").inner_text()
    _, (method, moved) = _events(NotificationKind.SESSION_BOOKED, practitioner.user)
    assert method == "REQUEST" and int(moved["SEQUENCE"]) == 1
    assert str(moved["UID"]) == booking.uid

    # Then cancels it from the list.
    page.goto("/supervision/supervisees/")
    page.get_by_role(
        "link", name=re.compile(f"^Cancel the session with {name}")
    ).click()
    assert_accessible(page)
    page.get_by_role("button", name="Cancel the session").click()
    page.wait_for_url(re.compile(r"/supervision/supervisees/"))
    assert "No sessions booked" in page.locator("main").inner_text()
    ((method, cancelled),) = _events(
        NotificationKind.BOOKING_CANCELLED, practitioner.user
    )
    assert method == "CANCEL" and int(cancelled["SEQUENCE"]) == 2
    switch_to("practitioner")
    page.goto("/supervision/")
    assert "Not booked yet" in page.locator("main").inner_text()


def test_an_attacker_reaches_no_one_elses_booking(page, demo, switch_to):
    practitioner = StaffProfile.objects.get(user__username="practitioner")
    elsewhere = (
        StaffProfile.objects.exclude(organisation=practitioner.organisation)
        .filter(supervisor__isnull=False)
        .select_related("supervisor__user")
        .first()
    )
    theirs = book_session(
        by=elsewhere.supervisor.user,
        supervisee_id=elsewhere.pk,
        starts_at=timezone.now() + timedelta(days=9),
        duration_minutes=120,
        place="Their room",
        now=timezone.now(),
    )
    switch_to("supervisor")
    for path in (
        f"/supervision/supervisees/{elsewhere.pk}/book/",
        f"/supervision/bookings/{theirs.pk}/change/",
        f"/supervision/bookings/{theirs.pk}/cancel/",
    ):
        assert page.goto(path).status == 404, path
    # A forged POST, carrying a real CSRF token from the supervisor's own form,
    # changes nothing either.
    page.goto(f"/supervision/supervisees/{practitioner.pk}/book/")
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    for action in ("cancel", "change"):
        response = page.request.post(
            f"/supervision/bookings/{theirs.pk}/{action}/",
            form={
                "csrfmiddlewaretoken": token,
                "confirm": "1",
                "starts_on-day": "1",
                "starts_on-month": "1",
                "starts_on-year": str(today().year + 1),
                "starts_at_time": "09:00",
                "duration_minutes": "120",
                "mode": "in_person",
                "place": "Somewhere else",
            },
        )
        assert response.status == 404, action
    theirs.refresh_from_db()
    assert not theirs.is_cancelled and theirs.sequence == 0
    switch_to("practitioner")
    assert page.goto(f"/supervision/bookings/{theirs.pk}/change/").status in (
        403,
        404,
    )
