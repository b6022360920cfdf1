"""Booking the next session, and the calendar invitation each change sends.

A booking has one UID for good. Booking sends an invitation (METHOD:REQUEST,
SEQUENCE 0); each change sends it again with SEQUENCE one higher, so calendars
replace the old one; cancelling sends METHOD:CANCEL with a higher SEQUENCE still.
The services announce each change with ``events.booking_changed`` carrying the
iCalendar bytes; notifications writes the emails (supervision never imports it).
An invitation carries names, a time and a place: never supervision content.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from icalendar import Calendar, Event, vCalAddress, vText

from accounts.models import User
from supervision.events import booking_changed
from supervision.models import SessionBooking
from supervision.services import NotAllowed, SupervisionError
from workforce.models import StaffProfile

REQUEST = "REQUEST"
CANCEL = "CANCEL"
PLACE_LIMIT = 200
# A session is booked at most this far ahead.
BOOKING_WINDOW = timedelta(days=366)


def _uid() -> str:
    host = urlsplit(str(settings.SITE_URL)).hostname or "sustain"
    return f"supervision-{uuid.uuid4().hex}@{host}"


def _check(
    *, starts_at: datetime, duration_minutes: int, place: str, online_link: str, now
) -> tuple[str, str]:
    place, online_link = place.strip(), online_link.strip()
    if not place and not online_link:
        raise SupervisionError("Enter where you will meet, or the online link.")
    if len(place) > PLACE_LIMIT:
        raise SupervisionError(f"Keep the place to {PLACE_LIMIT} characters.")
    if online_link and urlsplit(online_link).scheme != "https":
        raise SupervisionError("Enter the online link, starting https://")
    if not 1 <= duration_minutes <= 480:
        raise SupervisionError("Enter a length from 1 to 480 minutes.")
    if starts_at <= now:
        raise SupervisionError("Book a time in the future.")
    if starts_at > now + BOOKING_WINDOW:
        raise SupervisionError("Book no more than a year ahead.")
    return place, online_link


@transaction.atomic
def book_session(
    *,
    by: User,
    supervisee_id: int,
    starts_at: datetime,
    duration_minutes: int,
    place: str = "",
    online_link: str = "",
    booked_from_id: int | None = None,
    now: datetime,
) -> SessionBooking:
    """Book a supervisee's next session as their supervisor; send the invitation."""
    supervisee = (
        StaffProfile.objects.select_related("supervisor__user", "user")
        .filter(pk=supervisee_id)
        .first()
    )
    if supervisee is None or supervisee.supervisor is None:
        raise NotAllowed("Only the person's supervisor can book their session.")
    if supervisee.supervisor.user_id != by.pk:
        raise NotAllowed("Only the person's supervisor can book their session.")
    place, online_link = _check(
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        place=place,
        online_link=online_link,
        now=now,
    )
    booking = SessionBooking.objects.create(
        supervisor=supervisee.supervisor,
        supervisee=supervisee,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        place=place,
        online_link=online_link,
        uid=_uid(),
        booked_from_id=booked_from_id,
    )
    _announce(booking, REQUEST, now=now)
    return booking


@transaction.atomic
def rebook_session(
    *,
    by: User,
    booking_id: int,
    starts_at: datetime,
    duration_minutes: int,
    place: str = "",
    online_link: str = "",
    now: datetime,
) -> SessionBooking:
    """Move a booking (time, length or place); send the update, SEQUENCE + 1."""
    booking = _locked(booking_id, by)
    place, online_link = _check(
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        place=place,
        online_link=online_link,
        now=now,
    )
    booking.starts_at = starts_at
    booking.duration_minutes = duration_minutes
    booking.place = place
    booking.online_link = online_link
    booking.sequence += 1
    booking.save()
    _announce(booking, REQUEST, now=now)
    return booking


@transaction.atomic
def cancel_booking(*, by: User, booking_id: int, now: datetime) -> SessionBooking:
    """Cancel a booking; send METHOD:CANCEL with SEQUENCE + 1 (again: no-op)."""
    booking = _locked(booking_id, by, allow_cancelled=True)
    if booking.is_cancelled:
        return booking
    booking.cancelled_at = now
    booking.sequence += 1
    booking.save(update_fields=["cancelled_at", "sequence", "updated_at"])
    _announce(booking, CANCEL, now=now)
    return booking


def _locked(booking_id: int, by: User, *, allow_cancelled: bool = False):  # type: ignore[no-untyped-def]
    booking = (
        SessionBooking.objects.select_for_update(of=("self",))
        .select_related("supervisor__user", "supervisee__user")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None or booking.supervisor.user_id != by.pk:
        raise NotAllowed("Only the supervisor who booked it can change it.")
    if booking.is_cancelled and not allow_cancelled:
        raise SupervisionError("This booking has been cancelled; book a new one.")
    return booking


def _announce(booking: SessionBooking, method: str, *, now: datetime) -> None:
    booking_changed.send(
        sender=SessionBooking,
        booking=booking,
        method=method,
        invitation=invitation(booking, method=method, now=now),
    )


def _address(person: StaffProfile, *, organiser: bool = False) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.user.email}")
    address.params["CN"] = vText(person.full_name)
    if not organiser:
        address.params["ROLE"] = vText("REQ-PARTICIPANT")
        address.params["PARTSTAT"] = vText("NEEDS-ACTION")
        address.params["RSVP"] = vText("TRUE")
    return address


def invitation(booking: SessionBooking, *, method: str, now: datetime) -> bytes:
    """Return the iCalendar file for a booking: one event, both people attending."""
    calendar = Calendar()
    calendar.add("prodid", "-//Sustain//Supervision bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", booking.uid)
    event.add("sequence", booking.sequence)
    event.add("dtstamp", now)
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.starts_at + timedelta(minutes=booking.duration_minutes))
    event.add("summary", f"Supervision: {booking.supervisee.full_name}")
    event.add("location", booking.place or booking.online_link)
    if booking.online_link:
        event.add("url", booking.online_link)
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    event.add("organizer", _address(booking.supervisor, organiser=True))
    for person in (booking.supervisor, booking.supervisee):
        event.add("attendee", _address(person))
    calendar.add_component(event)
    return calendar.to_ical()
