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
from django.db import IntegrityError, transaction
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from accounts.models import User
from supervision.events import booking_changed
from supervision.models import (
    SessionBooking,
    SupervisionPolicy,
    SupervisionSession,
    SupervisionStatus,
)
from supervision.services import NotAllowed, SupervisionError
from workforce.audit import record_audit
from workforce.models import StaffProfile

REQUEST = "REQUEST"
CANCEL = "CANCEL"
PLACE_LIMIT = 200
# A session is booked at most this far ahead.
BOOKING_WINDOW = timedelta(days=366)
LONGEST_MINUTES = 480


class BookingError(SupervisionError):
    """A booking that cannot be made, naming the field it is about (or None)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _uid() -> str:
    host = urlsplit(str(settings.SITE_URL)).hostname or "sustain"
    return f"supervision-{uuid.uuid4().hex}@{host}"


def minimum_minutes(person: StaffProfile) -> int:
    """The shortest session that counts under the person's policy: a booking must
    be at least this long, or the session it books would not reset the clock."""
    status = SupervisionStatus.objects.filter(person=person).select_related("policy")
    row = status.first()
    policy = row.policy if row is not None and row.policy is not None else None
    policy = policy or SupervisionPolicy.objects.filter(is_default=True).first()
    return policy.min_minutes if policy is not None else 1


def _check(
    *,
    starts_at: datetime,
    duration_minutes: int,
    place: str,
    online_link: str,
    shortest: int,
    now: datetime,
) -> tuple[str, str]:
    place, online_link = place.strip(), online_link.strip()
    if not place and not online_link:
        raise BookingError(
            "Enter where you will meet, or the online link.", field="place"
        )
    if len(place) > PLACE_LIMIT:
        raise BookingError(
            f"Keep the place to {PLACE_LIMIT} characters.", field="place"
        )
    if online_link and urlsplit(online_link).scheme != "https":
        raise BookingError(
            "Enter the online link, starting https://", field="online_link"
        )
    if not 1 <= duration_minutes <= LONGEST_MINUTES:
        raise BookingError(
            f"Enter a length from 1 to {LONGEST_MINUTES} minutes.",
            field="duration_minutes",
        )
    if duration_minutes < shortest:
        raise BookingError(
            f"Book at least {shortest} minutes: a shorter session does not count "
            "under this person's supervision policy.",
            field="duration_minutes",
        )
    if starts_at <= now:
        raise BookingError("Book a time in the future.", field="starts_on")
    if starts_at > now + BOOKING_WINDOW:
        raise BookingError("Book no more than a year ahead.", field="starts_on")
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
    """Book a supervisee's next session as their supervisor; send the invitation.

    The supervisee's row is locked first, so two bookings posted at once are made
    one after the other and the second is refused; the database's one-open-booking
    constraint refuses it too if anything slips past. A booking whose time has
    passed is closed; one still to come must be changed or cancelled instead.
    """
    supervisee = (
        StaffProfile.objects.select_for_update(of=("self",))
        .select_related("supervisor__user", "user")
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
        shortest=minimum_minutes(supervisee),
        now=now,
    )
    if booked_from_id is not None and not (
        SupervisionSession.objects.filter(
            pk=booked_from_id,
            supervisor=supervisee.supervisor,
            attendances__person=supervisee,
        ).exists()
    ):
        raise NotAllowed("Book from a session you held with this person.")
    _clear_the_way(supervisee, by=by, now=now)
    try:
        with transaction.atomic():
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
    except IntegrityError as error:
        raise BookingError(
            f"A session has just been booked for {supervisee.full_name}: "
            "change that booking instead."
        ) from error
    record_audit(
        actor=by,
        action="sustain.booking.book",
        instance=booking,
        summary=f"Session booked with {supervisee.full_name}",
    )
    _announce(booking, REQUEST, now=now)
    return booking


def _clear_the_way(supervisee: StaffProfile, *, by: User, now: datetime) -> None:
    """Close the open booking whose time has passed; cancel one a former supervisor
    made (the new supervisor books their own); refuse if one is still to come."""
    current = (
        SessionBooking.objects.open()
        .filter(supervisee=supervisee)
        .select_for_update(of=("self",))
        .select_related("supervisor__user", "supervisee__user")
        .first()
    )
    if current is None:
        return
    if current.supervisor_id != supervisee.supervisor_id and current.starts_at > now:
        current.cancelled_at = now
        current.sequence += 1
        current.save(update_fields=["cancelled_at", "sequence", "updated_at"])
        record_audit(
            actor=by,
            action="sustain.booking.cancel",
            instance=current,
            summary="Booking with a former supervisor cancelled",
        )
        _announce(current, CANCEL, now=now)
        return
    if current.starts_at > now:
        local = timezone.localtime(current.starts_at)
        raise BookingError(
            f"{supervisee.full_name} already has a session booked for "
            f"{local.day} {local:%B %Y at %H:%M}: change that booking instead."
        )
    current.closed_at = now
    current.save(update_fields=["closed_at", "updated_at"])


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
        shortest=minimum_minutes(booking.supervisee),
        now=now,
    )
    unchanged = (
        booking.starts_at == starts_at
        and booking.duration_minutes == duration_minutes
        and booking.place == place
        and booking.online_link == online_link
    )
    if unchanged:
        return booking
    booking.starts_at = starts_at
    booking.duration_minutes = duration_minutes
    booking.place = place
    booking.online_link = online_link
    booking.sequence += 1
    booking.save()
    record_audit(
        actor=by,
        action="sustain.booking.change",
        instance=booking,
        summary=f"Booking with {booking.supervisee.full_name} changed",
    )
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
    record_audit(
        actor=by,
        action="sustain.booking.cancel",
        instance=booking,
        summary=f"Booking with {booking.supervisee.full_name} cancelled",
    )
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
    if booking.supervisee.supervisor_id != booking.supervisor_id:
        raise NotAllowed("You no longer supervise this person.")
    if booking.is_cancelled and not allow_cancelled:
        raise BookingError("This booking has been cancelled; book a new one.")
    if booking.closed_at is not None and not booking.is_cancelled:
        raise BookingError("This session has passed; book the next one.")
    return booking


def _announce(booking: SessionBooking, method: str, *, now: datetime) -> None:
    booking_changed.send(
        sender=SessionBooking,
        booking=booking,
        method=method,
        invitation=invitation(booking, method=method, now=now),
        now=now,
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
