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
    registration_lapses_on,
    supervisor_unregistered_from,
)
from supervision.services import NotAllowed, SupervisionError
from tests.factories import JobRoleFactory
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
        "checked_on", [None, date(2024, 2, 29), date(2025, 1, 31), date(2025, 3, 10)]
    )
    def test_an_unregistered_supervisor_agrees_with_its_rule_on_every_day(
        self, make_person, checked_on
    ):
        supervisor = make_person(Role.SUPERVISOR)
        if checked_on is not None:
            supervisor.registration_body = "swe"
            supervisor.registration_number = "SW1001"
            supervisor.registration_checked_on = checked_on
            supervisor.save()
        worker = make_person(
            Role.PRACTITIONER,
            organisation=supervisor.organisation,
            supervisor=supervisor,
            job_role=JobRoleFactory(is_social_work=True),
            started_in_role=date(2024, 6, 1),
        )
        lapses = registration_lapses_on(checked_on, "SW1001" if checked_on else "")
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
