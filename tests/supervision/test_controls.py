"""The controls' SQL twins agree with their pure rules, day by day, and the
services that feed them refuse what they should."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone
from wagtail.models import ModelLogEntry

from accounts.roles import Role
from supervision import controls
from supervision.incidents import record_incident
from supervision.models import CriticalIncident, SessionBooking, SupervisionStatus
from supervision.rules import (
    add_working_days,
    booking_missing_from,
    rebooking_missing_from,
    registration_lapses_on,
    supervisor_unregistered_from,
)
from supervision.services import NotAllowed, SupervisionError
from tests.factories import JobRoleFactory
from tests.factories.supervision import SupervisionSessionFactory
from workforce.registration import RegistrationError, record_registration

pytestmark = pytest.mark.django_db

DUE = date(2026, 3, 20)


def _book(supervisor, supervisee, day: date, *, cancelled: bool = False):  # type: ignore[no-untyped-def]
    return SessionBooking.objects.create(
        supervisor=supervisor,
        supervisee=supervisee,
        starts_at=timezone.make_aware(datetime(day.year, day.month, day.day, 9)),
        duration_minutes=60,
        place="Room 2",
        uid=f"{supervisee.pk}-{day}@test",
        cancelled_at=timezone.now() if cancelled else None,
    )


class TestTheTwinsAgree:
    @pytest.mark.parametrize(
        "booked_offset", [None, -10, -3, 0, 1, "cancelled", "both"]
    )
    def test_no_booking_agrees_with_its_rule_on_every_day(self, pair, booked_offset):
        supervisor, supervisee = pair
        SupervisionStatus.objects.update_or_create(
            person=supervisee,
            defaults={"due_on": DUE, "due_soon_from": DUE - timedelta(days=7)},
        )
        bookings: list[date] = []
        if booked_offset in ("cancelled", "both"):
            _book(supervisor, supervisee, DUE - timedelta(days=2), cancelled=True)
        if booked_offset == "both":
            bookings.append(DUE + timedelta(days=5))
        elif isinstance(booked_offset, int):
            bookings.append(DUE + timedelta(days=booked_offset))
        for day in bookings:
            _book(supervisor, supervisee, day)
        for offset in range(-12, 8):
            as_of = DUE + timedelta(days=offset)
            upcoming = [day for day in bookings if day >= as_of]
            rule = booking_missing_from(
                due_soon_from=DUE - timedelta(days=7),
                due_on=DUE,
                next_booked_on=min(upcoming, default=None),
            )
            expected = rule if rule is not None and rule <= as_of <= DUE else None
            got = controls.booking_missing([supervisee.pk], as_of=as_of)
            assert got.get(supervisee.pk) == expected, as_of

    @pytest.mark.parametrize(
        ("checked_on", "expires_on"),
        [
            (None, None),
            (date(2024, 2, 29), None),
            (date(2025, 1, 31), None),
            (date(2025, 3, 10), None),
            # An expiry the register showed, before the check would lapse.
            (date(2025, 3, 10), date(2025, 11, 30)),
            # One after it: the yearly check still lapses first.
            (date(2025, 3, 10), date(2026, 11, 30)),
        ],
    )
    def test_an_unregistered_supervisor_agrees_with_its_rule_on_every_day(
        self, make_person, checked_on, expires_on
    ):
        supervisor = make_person(Role.SUPERVISOR)
        if checked_on is not None:
            supervisor.registration_body = "swe"
            supervisor.registration_number = "SW1001"
            supervisor.registration_checked_on = checked_on
            supervisor.registration_expires_on = expires_on
            supervisor.save()
        worker = make_person(
            Role.PRACTITIONER,
            organisation=supervisor.organisation,
            supervisor=supervisor,
            job_role=JobRoleFactory(is_social_work=True),
            started_in_role=date(2024, 6, 1),
        )
        lapses = registration_lapses_on(
            checked_on, "SW1001" if checked_on else "", expires_on
        )
        around = lapses or date(2024, 6, 1)
        for offset in range(-3, 4):
            as_of = around + timedelta(days=offset)
            rule = supervisor_unregistered_from(
                social_work_role=True,
                has_supervisor=True,
                supervisor_registration_lapses_on=lapses,
                started_in_role=worker.started_in_role,
            )
            expected = rule if rule is not None and as_of >= rule else None
            got = controls.supervisor_unregistered([worker.pk], as_of=as_of)
            assert got.get(worker.pk) == expected, as_of

    def test_an_expiry_shown_on_the_register_lapses_the_day_after_it(self):
        checked = date(2025, 3, 10)
        assert registration_lapses_on(checked, "SW1", date(2025, 11, 30)) == date(
            2025, 12, 1
        )
        assert registration_lapses_on(checked, "SW1", date(2026, 11, 30)) == date(
            2026, 3, 10
        )

    def test_a_check_on_a_leap_day_lapses_on_the_last_day_of_february(self):
        assert registration_lapses_on(date(2024, 2, 29), "SW1") == date(2025, 2, 28)
        assert controls.latest_lapsed_check(date(2025, 2, 28)) == date(2024, 2, 29)
        assert controls.latest_lapsed_check(date(2025, 3, 1)) == date(2024, 3, 1)


class TestWorkingDays:
    @pytest.mark.parametrize(
        ("start", "days", "due"),
        [
            (date(2026, 1, 5), 2, date(2026, 1, 7)),  # Monday -> Wednesday
            (date(2026, 1, 8), 2, date(2026, 1, 12)),  # Thursday -> Monday
            (date(2026, 1, 9), 2, date(2026, 1, 13)),  # Friday -> Tuesday
            (date(2026, 1, 10), 2, date(2026, 1, 13)),  # Saturday -> Tuesday
        ],
    )
    def test_a_debrief_falls_due_in_working_days(self, start, days, due):
        assert add_working_days(start, days) == due


class TestRecordingAnIncident:
    def test_the_supervisor_records_it_by_case_reference_with_an_audit_entry(
        self, pair
    ):
        supervisor, supervisee = pair
        incident = record_incident(
            by=supervisor.user,
            person_id=supervisee.pk,
            kind=CriticalIncident.Kind.DISCLOSURE,
            case_reference=" c-1042 ",
            occurred_on=date(2026, 1, 9),
            as_of=date(2026, 1, 9),
        )
        assert incident.case_reference == "C-1042"
        assert incident.debrief_due_on == date(2026, 1, 13)
        entry = ModelLogEntry.objects.get(action="sustain.incident.record")
        assert entry.user == supervisor.user
        assert "C-1042" not in str(entry.data)

    @pytest.mark.parametrize(
        "reference", ["Jane Smith", "C-1042 Jane", "<script>", "", "C-" + "1" * 20]
    )
    def test_a_name_or_anything_but_a_case_reference_is_refused(self, pair, reference):
        supervisor, supervisee = pair
        with pytest.raises(SupervisionError, match="case reference"):
            record_incident(
                by=supervisor.user,
                person_id=supervisee.pk,
                kind=CriticalIncident.Kind.MISSING,
                case_reference=reference,
                occurred_on=date(2026, 1, 9),
                as_of=date(2026, 1, 9),
            )
        assert not CriticalIncident.objects.exists()

    def test_the_supervisee_themself_cannot_record_one(self, pair):
        _, supervisee = pair
        with pytest.raises(NotAllowed):
            record_incident(
                by=supervisee.user,
                person_id=supervisee.pk,
                kind=CriticalIncident.Kind.MISSING,
                case_reference="C-1",
                occurred_on=date(2026, 1, 9),
                as_of=date(2026, 1, 9),
            )


class TestRecordingARegistration:
    def test_a_manager_records_it_with_an_audit_entry(self, make_person):
        manager = make_person(Role.PROVIDER_MANAGER)
        worker = make_person(Role.SUPERVISOR, organisation=manager.organisation)
        record_registration(
            by=manager.user,
            person_id=worker.pk,
            body="scw",
            number=" 1234567 ",
            checked_on=date(2026, 1, 5),
            as_of=date(2026, 1, 5),
        )
        worker.refresh_from_db()
        assert (worker.registration_body, worker.registration_number) == (
            "scw",
            "1234567",
        )
        assert ModelLogEntry.objects.filter(
            action="sustain.registration.record", user=manager.user
        ).exists()

    @pytest.mark.parametrize(
        ("role", "body", "number", "checked_on", "message"),
        [
            (Role.SUPERVISOR, "swe", "SW1234", date(2026, 1, 5), "Only a manager"),
            (Role.PROVIDER_MANAGER, "hcpc", "SW1234", date(2026, 1, 5), "Choose"),
            (Role.PROVIDER_MANAGER, "swe", "Jane", date(2026, 1, 5), "number"),
            (Role.PROVIDER_MANAGER, "swe", "SW1234", None, "checked"),
            (Role.PROVIDER_MANAGER, "swe", "SW1234", date(2026, 2, 1), "checked"),
        ],
    )
    def test_bad_input_is_refused_and_nothing_is_saved(
        self, make_person, role, body, number, checked_on, message
    ):
        actor = make_person(role)
        worker = make_person(Role.SUPERVISOR, organisation=actor.organisation)
        with pytest.raises(RegistrationError, match=message):
            record_registration(
                by=actor.user,
                person_id=worker.pk,
                body=body,
                number=number,
                checked_on=checked_on,
                as_of=date(2026, 1, 5),
            )
        worker.refresh_from_db()
        assert worker.registration_number == ""

    def test_a_manager_in_another_organisation_cannot(self, make_person):
        manager = make_person(Role.PROVIDER_MANAGER)
        elsewhere = make_person(Role.SUPERVISOR)
        with pytest.raises(RegistrationError):
            record_registration(
                by=manager.user,
                person_id=elsewhere.pk,
                body="swe",
                number="SW1",
                checked_on=date(2026, 1, 5),
                as_of=date(2026, 1, 5),
            )


MONDAY = date(2026, 3, 2)


def _moment(day: int, hour: int = 10) -> datetime:
    on = MONDAY + timedelta(days=day)
    return timezone.make_aware(datetime(on.year, on.month, on.day, hour))


class TestCancelledWithNoNewDate:
    # Each event: ("booking", for day, cancelled on or None),
    # ("cancelled_session", held on) or ("held", held on); days from a Monday.
    SCENARIOS = {
        "a booking cancelled, nothing since": [("booking", 3, 1)],
        "rebooked the next day": [("booking", 3, 1), ("booking", 10, None)],
        "rebooked, then that cancelled too": [
            ("booking", 3, 1),
            ("booking", 10, 6),
        ],
        "a recorded session cancelled": [("cancelled_session", 2)],
        "cancelled, then a session held": [("cancelled_session", 2), ("held", 4)],
        "cancelled, a later session already booked": [
            ("booking", 20, None),
            ("cancelled_session", 2),
        ],
        "a booking tidied away after its time": [("booking", 3, 5)],
        "two cancellations in a row": [
            ("cancelled_session", 1),
            ("cancelled_session", 8),
        ],
        "cancelled on the day of the booking it was for": [
            ("booking", 3, None),
            ("cancelled_session", 3),
        ],
    }

    @pytest.mark.parametrize("name", list(SCENARIOS))
    def test_the_sql_twin_agrees_with_the_rule_on_every_day(self, pair, name):
        supervisor, supervisee = pair
        SupervisionStatus.objects.update_or_create(
            person=supervisee,
            defaults={"due_on": MONDAY + timedelta(days=60)},
        )
        cancelled_on: list[date] = []
        bookings: list[tuple[date, date | None]] = []
        held_on: list[date] = []
        for n, event in enumerate(self.SCENARIOS[name]):
            if event[0] == "booking":
                _, day, cancelled = event
                booking = SessionBooking.objects.create(
                    supervisor=supervisor,
                    supervisee=supervisee,
                    starts_at=_moment(day, 14),
                    duration_minutes=90,
                    place="Room 2",
                    uid=f"{name}-{n}@test",
                    cancelled_at=_moment(cancelled) if cancelled is not None else None,
                )
                start = MONDAY + timedelta(days=day)
                gone = MONDAY + timedelta(days=cancelled) if cancelled else None
                bookings.append((start, gone))
                if cancelled is not None and booking.cancelled_at < booking.starts_at:
                    cancelled_on.append(gone)  # type: ignore[arg-type]
            else:
                kind, day = event
                held = MONDAY + timedelta(days=day)
                SupervisionSessionFactory(
                    supervisor=supervisor,
                    held_on=held,
                    attendees=[supervisee],
                    **(
                        {"state": "cancelled", "cancelled_reason": "Off sick"}
                        if kind == "cancelled_session"
                        else {}
                    ),
                )
                (cancelled_on if kind == "cancelled_session" else held_on).append(held)
        rule = rebooking_missing_from(
            cancelled_on=cancelled_on, bookings=bookings, held_on=held_on
        )
        for offset in range(0, 30):
            as_of = MONDAY + timedelta(days=offset)
            expected = rule if rule is not None and rule <= as_of else None
            got = controls.rebooking_missing([supervisee.pk], as_of=as_of)
            assert got.get(supervisee.pk) == expected, (name, as_of)

    @pytest.mark.parametrize(
        ("events", "opens"),
        [
            ({"cancelled_on": [MONDAY]}, date(2026, 3, 9)),  # Monday -> Monday
            ({"cancelled_on": [date(2026, 3, 6)]}, date(2026, 3, 13)),  # Friday
            (
                {
                    "cancelled_on": [MONDAY],
                    "bookings": [(MONDAY + timedelta(days=9), None)],
                },
                None,
            ),
            (
                {"cancelled_on": [MONDAY], "held_on": [MONDAY]},
                date(2026, 3, 9),  # a session the same day is the one cancelled
            ),
        ],
    )
    def test_the_rule_gives_five_working_days_to_rebook(self, events, opens):
        arguments = {"cancelled_on": [], "bookings": [], "held_on": [], **events}
        assert rebooking_missing_from(**arguments) == opens
