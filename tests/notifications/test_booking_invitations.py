"""A booking sends both people a calendar invitation that parses back; a change
raises SEQUENCE on the same UID; a cancellation is METHOD:CANCEL; the day before,
both are reminded."""

from datetime import date, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from accounts.roles import Role
from notifications.models import Notification, NotificationKind
from notifications.services import deliver_pending
from notifications.sweep import run_daily_sweep
from supervision.bookings import book_session, cancel_booking, rebook_session
from supervision.models import SessionBooking
from supervision.services import NotAllowed, SupervisionError

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime(2026, 3, 2, 9, 0))
STARTS = timezone.make_aware(datetime(2026, 3, 12, 14, 30))


@pytest.fixture
def pair(make_person):  # type: ignore[no-untyped-def]
    supervisor = make_person(Role.SUPERVISOR)
    supervisee = make_person(
        Role.PRACTITIONER, organisation=supervisor.organisation, supervisor=supervisor
    )
    return supervisor, supervisee


def _event(notification: Notification):  # type: ignore[no-untyped-def]
    (attachment,) = notification.attachments.all()
    calendar = Calendar.from_ical(bytes(attachment.content))
    (event,) = calendar.walk("VEVENT")
    return calendar, event, attachment


def _invitations(kind: str, recipient) -> list[Notification]:  # type: ignore[no-untyped-def]
    return list(
        Notification.objects.filter(kind=kind, recipient=recipient).order_by("pk")
    )


class TestTheInvitation:
    def test_booking_sends_both_people_an_invitation_that_parses_back(self, pair):
        supervisor, supervisee = pair
        booking = book_session(
            by=supervisor.user,
            supervisee_id=supervisee.pk,
            starts_at=STARTS,
            duration_minutes=90,
            place="Room 4, Harbour House",
            now=NOW,
        )

        for person in (supervisor, supervisee):
            (notification,) = _invitations(NotificationKind.SESSION_BOOKED, person.user)
            calendar, event, attachment = _event(notification)
            assert attachment.content_type.startswith("text/calendar; method=REQUEST")
            assert str(calendar["METHOD"]) == "REQUEST"
            assert str(event["UID"]) == booking.uid
            assert int(event["SEQUENCE"]) == 0
            assert event.decoded("DTSTART") == STARTS
            assert event.decoded("DTEND") == STARTS + timedelta(minutes=90)
            assert str(event["LOCATION"]) == "Room 4, Harbour House"
            attendees = {str(a).lower() for a in event["ATTENDEE"]}
            assert attendees == {
                f"mailto:{supervisor.user.email}".lower(),
                f"mailto:{supervisee.user.email}".lower(),
            }
            assert str(event["ORGANIZER"]).lower() == (
                f"mailto:{supervisor.user.email}".lower()
            )
            assert "12 March 2026 at 14:30" in notification.subject

        # The relay sends it as a text/calendar attachment.
        deliver_pending(now=timezone.now())
        assert len(mail.outbox) == 2
        for message in mail.outbox:
            ((name, content, mimetype),) = message.attachments
            assert name == "invite.ics" and mimetype.startswith("text/calendar")
            assert Calendar.from_ical(content).walk("VEVENT")[0]["UID"] == booking.uid

    def test_rebooking_sends_sequence_plus_one_and_cancelling_method_cancel(self, pair):
        supervisor, supervisee = pair
        booking = book_session(
            by=supervisor.user,
            supervisee_id=supervisee.pk,
            starts_at=STARTS,
            duration_minutes=90,
            online_link="https://meet.example.org/abc",
            now=NOW,
        )
        moved = STARTS + timedelta(days=1, hours=1)
        rebook_session(
            by=supervisor.user,
            booking_id=booking.pk,
            starts_at=moved,
            duration_minutes=60,
            online_link="https://meet.example.org/abc",
            now=NOW + timedelta(hours=1),
        )
        cancel_booking(
            by=supervisor.user, booking_id=booking.pk, now=NOW + timedelta(hours=2)
        )
        cancel_booking(
            by=supervisor.user, booking_id=booking.pk, now=NOW + timedelta(hours=3)
        )

        first, second = _invitations(NotificationKind.SESSION_BOOKED, supervisee.user)
        (cancelled,) = _invitations(NotificationKind.BOOKING_CANCELLED, supervisee.user)
        events = [_event(n) for n in (first, second, cancelled)]
        assert {str(event["UID"]) for _, event, _ in events} == {booking.uid}
        assert [int(event["SEQUENCE"]) for _, event, _ in events] == [0, 1, 2]
        assert [str(calendar["METHOD"]) for calendar, _, _ in events] == [
            "REQUEST",
            "REQUEST",
            "CANCEL",
        ]
        assert events[1][1].decoded("DTSTART") == moved
        assert str(events[2][1]["STATUS"]) == "CANCELLED"
        assert second.subject.startswith("Supervision moved")
        assert Notification.objects.filter(recipient=supervisor.user).count() == 3

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"place": "  "}, "where you will meet"),
            ({"online_link": "http://meet.example.org/x"}, "https://"),
            ({"online_link": "javascript:alert(1)"}, "https://"),
            ({"place": "x" * 201}, "200 characters"),
            ({"place": "Room 1", "duration_minutes": 0}, "1 to 480"),
            ({"place": "Room 1", "starts_at": NOW - timedelta(hours=1)}, "future"),
            ({"place": "Room 1", "starts_at": NOW + timedelta(days=400)}, "a year"),
        ],
    )
    def test_bad_input_is_refused_and_nothing_is_sent(self, pair, fields, message):
        supervisor, supervisee = pair
        arguments = {"starts_at": STARTS, "duration_minutes": 90, **fields}
        with pytest.raises(SupervisionError, match=message):
            book_session(
                by=supervisor.user, supervisee_id=supervisee.pk, now=NOW, **arguments
            )
        assert not SessionBooking.objects.exists()
        assert not Notification.objects.exists()

    def test_only_the_supervisor_books_or_changes_it(self, pair, make_person):
        supervisor, supervisee = pair
        with pytest.raises(NotAllowed):
            book_session(
                by=supervisee.user,
                supervisee_id=supervisee.pk,
                starts_at=STARTS,
                duration_minutes=60,
                place="Room 1",
                now=NOW,
            )
        booking = book_session(
            by=supervisor.user,
            supervisee_id=supervisee.pk,
            starts_at=STARTS,
            duration_minutes=60,
            place="Room 1",
            now=NOW,
        )
        other = make_person(Role.SUPERVISOR, organisation=supervisor.organisation)
        with pytest.raises(NotAllowed):
            cancel_booking(by=other.user, booking_id=booking.pk, now=NOW)
        booking.refresh_from_db()
        assert not booking.is_cancelled


class TestTheReminder:
    def test_both_are_reminded_the_day_before_and_not_earlier(self, pair):
        supervisor, supervisee = pair
        book_session(
            by=supervisor.user,
            supervisee_id=supervisee.pk,
            starts_at=STARTS,
            duration_minutes=90,
            place="Room 4",
            now=NOW,
        )
        reminders = Notification.objects.filter(kind=NotificationKind.BOOKING_REMINDER)
        for day in (date(2026, 3, 9), date(2026, 3, 10)):
            run_daily_sweep(as_of=day)
            assert not reminders.exists(), day
        run_daily_sweep(as_of=date(2026, 3, 11))
        assert set(reminders.values_list("recipient_id", flat=True)) == {
            supervisor.user_id,
            supervisee.user_id,
        }
        assert "tomorrow at 14:30" in reminders.first().subject
