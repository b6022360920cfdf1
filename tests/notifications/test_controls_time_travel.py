"""Seven weeks of daily sweeps: each control beside the ladder raises its flag on
the day its rule says, never the day before, and tells the right people once.

No next booking, an unfinalised draft, a missing or stale agreement, an unregistered
supervisor, an overdue debrief and a cancelled session with no new date, each with
a neighbour who is never flagged.
"""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from notifications.models import Flag, FlagKind, Notification, NotificationKind
from notifications.sweep import run_daily_sweep
from supervision import agreements
from supervision.bookings import book_session, cancel_booking
from supervision.incidents import record_incident
from supervision.models import (
    CriticalIncident,
    SessionBooking,
    SupervisionAgreement,
    SupervisionSession,
    SupervisionStatus,
)
from tests.factories import JobRoleFactory, UserFactory
from tests.factories.supervision import (
    PolicyStageFactory,
    SupervisionPolicyFactory,
    SupervisionSessionFactory,
)
from tests.factories.workforce import StaffProfileFactory
from tests.notifications.sweep_world import build_world
from workforce.dates import add_months
from workforce.registration import record_registration

pytestmark = pytest.mark.django_db

START = date(2026, 1, 5)  # a Monday
DAYS = 50
TERMS = agreements.AgreementTerms(
    frequency="Every four weeks",
    place="The small meeting room",
    confidentiality="Kept between us, except where a child is at risk.",
    missed_sessions="We rebook within five working days.",
)


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def _agree(world, person, *, on: date) -> None:  # type: ignore[no-untyped-def]
    agreements.make_agreement(
        by=world.supervisor.user, supervisee_id=person.pk, terms=TERMS, as_of=on
    )


class TestTheControlsOpenOnTheirDay:
    def test_each_flag_opens_on_the_day_its_rule_says_and_never_before(self):
        world = build_world()
        day_of = {n: START + timedelta(days=n) for n in range(-1, DAYS)}

        # No next booking: due on day 20, so due soon from day 13. The neighbour has
        # a session booked for day 18, before their due date.
        unbooked = world.supervisee(due_on=day_of[20])
        booked = world.supervisee(due_on=day_of[20])
        SessionBooking.objects.create(
            supervisor=world.supervisor,
            supervisee=booked,
            starts_at=_at(day_of[18]),
            duration_minutes=90,
            place="The small meeting room",
            uid="booked@test",
        )
        for person in (unbooked, booked):
            _agree(world, person, on=START - timedelta(days=1))

        # An unfinalised draft: held on day 3, so the supervisor is flagged on day
        # 17 (14 days on). The neighbour's draft of day 3 is finalised on day 16.
        drafter = StaffProfileFactory(
            user=UserFactory(roles=[Role.SUPERVISOR]),
            organisation=world.organisation,
            job_role=world.supervision_role,
            started_in_role=START - timedelta(days=400),
        )
        prompt = StaffProfileFactory(
            user=UserFactory(roles=[Role.SUPERVISOR]),
            organisation=world.organisation,
            job_role=world.supervision_role,
            started_in_role=START - timedelta(days=400),
        )
        drafted_for = world.supervisee(due_on=day_of[40])
        _agree(world, drafted_for, on=START - timedelta(days=1))
        for supervisor in (drafter, prompt):
            SupervisionSessionFactory(
                supervisor=supervisor,
                held_on=day_of[3],
                state=SupervisionSession.State.DRAFT,
                attendees=[drafted_for],
            )
        prompt_draft = SupervisionSession.objects.get(supervisor=prompt)

        # A missing agreement: started on day -10, so flagged on day 18 (28 days
        # on). A stale one: agreed a year before day 5, so due for review on day 5.
        # The neighbour agreed last month.
        no_agreement = world.supervisee(due_on=day_of[18])
        SupervisionAgreement.objects.filter(supervisee=no_agreement).delete()
        stale = world.supervisee(due_on=day_of[45])
        agreed = world.supervisee(due_on=day_of[18])
        _agree(world, stale, on=add_months(day_of[5], -12))
        _agree(world, agreed, on=START - timedelta(days=20))
        for person in (no_agreement, stale, agreed):
            SessionBooking.objects.create(
                supervisor=world.supervisor,
                supervisee=person,
                starts_at=_at(day_of[17]),
                duration_minutes=90,
                place="Online",
                uid=f"agreement-{person.pk}@test",
            )

        # An unregistered supervisor: the registered one's check lapses on day 30;
        # the other never registered, so their social worker is flagged from their
        # start on day 7. A youth worker with the unregistered supervisor never is.
        social_work = JobRoleFactory(is_social_work=True)
        PolicyStageFactory(
            policy=SupervisionPolicyFactory(job_role=social_work), interval_days=90
        )
        unregistered = StaffProfileFactory(
            user=UserFactory(roles=[Role.SUPERVISOR]),
            organisation=world.organisation,
            job_role=social_work,
            started_in_role=START - timedelta(days=400),
            line_manager=world.line_manager,
        )
        record_registration(
            by=world.provider_manager.user,
            person_id=world.supervisor.pk,
            body="swe",
            number="SW 123456",
            checked_on=add_months(day_of[30], -12),
            as_of=START,
        )
        lapsing = world.staff(social_work, START - timedelta(days=30))
        newcomer = world.staff(social_work, day_of[7], supervisor=unregistered)
        youth_worker = world.staff(
            world.supervision_role, START - timedelta(days=30), supervisor=unregistered
        )
        _agree(world, lapsing, on=START - timedelta(days=1))

        # A due debrief: an incident on Tuesday day 8 is due two working days later
        # (Thursday day 10), so flagged on day 11. The neighbour's incident on
        # Friday day 4 is due on Tuesday day 8 and debriefed on Monday day 7.
        debriefed = world.supervisee(due_on=day_of[45])
        undebriefed = world.supervisee(due_on=day_of[45])

        # A cancellation with no new date: both sessions, booked for day 11, are
        # cancelled on Wednesday day 9, so flagged five working days on (Wednesday
        # day 16). The neighbour's supervisor books a new date on day 12.
        unrebooked = world.supervisee(due_on=day_of[45])
        rebooked = world.supervisee(due_on=day_of[45])
        cancelled_bookings = [
            book_session(
                by=world.supervisor.user,
                supervisee_id=person.pk,
                starts_at=_at(day_of[11]),
                duration_minutes=90,
                place="The small meeting room",
                now=_at(day_of[-1]),
            )
            for person in (unrebooked, rebooked)
        ]

        first_open: dict[tuple[int, str], date] = {}
        for n in range(-1, DAYS):
            day = day_of[n]
            if n == 9:
                for booking in cancelled_bookings:
                    cancel_booking(
                        by=world.supervisor.user,
                        booking_id=booking.pk,
                        now=_at(day, 8),
                    )
            if n == 12:
                book_session(
                    by=world.supervisor.user,
                    supervisee_id=rebooked.pk,
                    starts_at=_at(day_of[30]),
                    duration_minutes=90,
                    place="The small meeting room",
                    now=_at(day, 8),
                )
            if n == 4:
                record_incident(
                    by=world.supervisor.user,
                    person_id=debriefed.pk,
                    kind=CriticalIncident.Kind.DISCLOSURE,
                    case_reference="c-1042",
                    occurred_on=day,
                    as_of=day,
                )
            if n == 7:
                SupervisionSessionFactory(
                    supervisor=world.supervisor,
                    held_on=day,
                    duration_minutes=30,
                    format=SupervisionSession.Format.DEBRIEF,
                    attendees=[debriefed],
                )
            if n == 8:
                record_incident(
                    by=world.supervisor.user,
                    person_id=undebriefed.pk,
                    kind=CriticalIncident.Kind.ASSAULT,
                    case_reference="C-2001",
                    occurred_on=day,
                    as_of=day,
                )
            if n == 16:
                SupervisionSession.objects.filter(pk=prompt_draft.pk).update(
                    state=SupervisionSession.State.FINALISED
                )
            run_daily_sweep(as_of=day)
            for key in Flag.objects.open().values_list("person_id", "kind"):
                first_open.setdefault(key, day)

        expected = {
            (unbooked, FlagKind.NO_BOOKING): day_of[13],
            (drafter, FlagKind.DRAFT): day_of[17],
            (no_agreement, FlagKind.AGREEMENT): day_of[18],
            (stale, FlagKind.AGREEMENT): day_of[5],
            (lapsing, FlagKind.REGISTRATION): day_of[30],
            (newcomer, FlagKind.REGISTRATION): day_of[7],
            (undebriefed, FlagKind.DEBRIEF): day_of[11],
            (unrebooked, FlagKind.REBOOKING): day_of[16],
        }
        for (person, kind), day in expected.items():
            assert first_open.get((person.pk, kind)) == day, (kind, person)
        # The neighbours, within the days their rule covers.
        booked_flag = first_open.get((booked.pk, FlagKind.NO_BOOKING))
        assert booked_flag is None or booked_flag > day_of[18]
        assert (prompt.pk, FlagKind.DRAFT) not in first_open
        assert (drafted_for.pk, FlagKind.DRAFT) not in first_open
        assert (agreed.pk, FlagKind.AGREEMENT) not in first_open
        assert (youth_worker.pk, FlagKind.REGISTRATION) not in first_open
        assert (debriefed.pk, FlagKind.DEBRIEF) not in first_open
        assert (rebooked.pk, FlagKind.REBOOKING) not in first_open
        # A debrief never resets the clock: the debriefed person is still due.
        assert SupervisionStatus.objects.get(person=debriefed).last_session_on is None

        # Each flag was told once, to the right people; none escalated.
        told = {
            (n.subject_person_id, n.reference, n.recipient_id)
            for n in Notification.objects.filter(
                kind=NotificationKind.SUPERVISION_CHECK
            )
        }
        assert (lapsing.pk, "registration", world.line_manager.user_id) in told
        assert (newcomer.pk, "registration", world.line_manager.user_id) in told
        assert (drafter.pk, "draft", drafter.user_id) in told
        assert not {t for t in told if t[1] == "draft" and t[0] == drafted_for.pk}
        assert (unbooked.pk, "no_booking", unbooked.user_id) in told
        assert (unbooked.pk, "no_booking", world.supervisor.user_id) in told
        assert (undebriefed.pk, "debrief", world.supervisor.user_id) in told
        assert (unrebooked.pk, "rebooking", unrebooked.user_id) in told
        assert (unrebooked.pk, "rebooking", world.supervisor.user_id) in told
        assert Notification.objects.filter(
            kind=NotificationKind.SUPERVISION_CHECK
        ).count() == len(told)
        assert not Flag.objects.exclude(
            kind__in=[FlagKind.TRAINING, FlagKind.SUPERVISION]
        ).exclude(level="overdue")


class TestANewDateClearsTheFlag:
    def test_booking_a_new_date_closes_the_cancellation_flag_at_once(self):
        world = build_world()
        person = world.supervisee(due_on=START + timedelta(days=45))
        booking = book_session(
            by=world.supervisor.user,
            supervisee_id=person.pk,
            starts_at=_at(START + timedelta(days=3)),
            duration_minutes=90,
            place="Room 2",
            now=_at(START, 8),
        )
        cancel_booking(by=world.supervisor.user, booking_id=booking.pk, now=_at(START))
        flagged_on = START + timedelta(days=7)  # Monday to Monday: five working days
        run_daily_sweep(as_of=flagged_on)
        flags = Flag.objects.open().filter(person=person, kind=FlagKind.REBOOKING)
        assert flags.get().deadline == flagged_on

        # The supervisor books a new date the same morning: no sweep needed.
        book_session(
            by=world.supervisor.user,
            supervisee_id=person.pk,
            starts_at=_at(flagged_on + timedelta(days=2)),
            duration_minutes=90,
            place="Room 2",
            now=_at(flagged_on, 11),
        )
        assert not flags.exists()
