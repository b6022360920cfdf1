"""Status rows: what counts, when they change, and the SQL agreeing with the rule."""

from datetime import date, timedelta

import pytest

from accounts.roles import Role
from supervision.models import SupervisionSession, SupervisionStatus
from supervision.rules import Status
from supervision.services import (
    SessionDetails,
    cancel_session,
    create_session,
    finalise_session,
    sync_supervision_status,
)
from tests.factories import JobRoleFactory
from tests.factories.supervision import SupervisionSessionFactory
from workforce.signals import staff_changed

pytestmark = pytest.mark.django_db


def row_of(person):
    return SupervisionStatus.objects.get(person=person)


class TestWhatCounts:
    def test_with_no_session_the_due_date_follows_the_start_in_role(self, pair, as_of):
        _, supervisee = pair

        sync_supervision_status(person_ids=[supervisee.pk], as_of=as_of)

        assert row_of(supervisee).due_on == date(2024, 1, 29)
        assert row_of(supervisee).status_on(as_of) is Status.ESCALATED_TWICE

    def test_the_latest_finalised_session_sets_the_due_date(self, pair, as_of):
        supervisor, supervisee = pair
        SupervisionSessionFactory(
            supervisor=supervisor, held_on=date(2026, 2, 1), attendees=[supervisee]
        )
        SupervisionSessionFactory(
            supervisor=supervisor, held_on=date(2026, 3, 1), attendees=[supervisee]
        )

        sync_supervision_status(person_ids=[supervisee.pk], as_of=as_of)

        row = row_of(supervisee)
        assert row.last_session_on == date(2026, 3, 1)
        assert row.due_on == date(2026, 3, 29)
        assert row.status_on(as_of) is Status.IN_DATE

    @pytest.mark.parametrize(
        "state", [SupervisionSession.State.DRAFT, SupervisionSession.State.CANCELLED]
    )
    def test_drafts_and_cancelled_sessions_do_not_count(self, pair, as_of, state):
        supervisor, supervisee = pair
        SupervisionSessionFactory(
            supervisor=supervisor,
            held_on=date(2026, 3, 1),
            state=state,
            cancelled_reason="Supervisor off sick",
            attendees=[supervisee],
        )

        sync_supervision_status(person_ids=[supervisee.pk], as_of=as_of)

        assert row_of(supervisee).last_session_on is None

    def test_a_group_session_counts_for_every_attendee(self, make_person, as_of):
        supervisor = make_person(Role.SUPERVISOR)
        team = [
            make_person(Role.PRACTITIONER, organisation=supervisor.organisation)
            for _ in range(3)
        ]
        SupervisionSessionFactory(
            supervisor=supervisor,
            held_on=date(2026, 3, 10),
            format=SupervisionSession.Format.GROUP,
            attendees=team,
        )

        sync_supervision_status(person_ids=[p.pk for p in team], as_of=as_of)

        assert {row_of(p).last_session_on for p in team} == {date(2026, 3, 10)}

    def test_a_role_without_a_policy_that_is_not_frontline_is_not_required(
        self, make_person, as_of
    ):
        office = make_person(job_role=JobRoleFactory(is_frontline=False))

        sync_supervision_status(person_ids=[office.pk], as_of=as_of)

        assert row_of(office).status_on(as_of) is Status.NOT_REQUIRED

    def test_someone_who_has_left_is_not_required(self, make_person, as_of):
        leaver = make_person(left_on=date(2026, 1, 31))

        sync_supervision_status(person_ids=[leaver.pk], as_of=as_of)

        assert row_of(leaver).status_on(as_of) is Status.NOT_REQUIRED

    def test_a_newly_qualified_worker_follows_qualification_stages(
        self, make_person, nqsw_role, as_of
    ):
        nqsw = make_person(
            job_role=nqsw_role,
            started_in_role=date(2026, 1, 5),
            qualified_on=date(2026, 1, 1),
        )

        sync_supervision_status(person_ids=[nqsw.pk], as_of=as_of)

        row = row_of(nqsw)
        assert (row.interval_days, row.due_on) == (7, date(2026, 1, 12))


class TestUpdatedAtOnce:
    def test_finalising_a_session_brings_the_supervisee_in_date(self, pair, as_of):
        supervisor, supervisee = pair
        sync_supervision_status(person_ids=[supervisee.pk], as_of=as_of)
        session = create_session(
            supervisor=supervisor,
            supervisee_ids=[supervisee.pk],
            details=SessionDetails(
                held_on=as_of, duration_minutes=60, format="one_to_one"
            ),
            as_of=as_of,
        )
        assert row_of(supervisee).status_on(as_of) is Status.ESCALATED_TWICE

        finalise_session(session_id=session.pk, by=supervisor.user, as_of=as_of)

        assert row_of(supervisee).status_on(as_of) is Status.IN_DATE

    def test_cancelling_a_finalised_session_puts_the_ladder_back(self, pair, as_of):
        supervisor, supervisee = pair
        session = SupervisionSessionFactory(
            supervisor=supervisor, held_on=as_of, attendees=[supervisee]
        )
        sync_supervision_status(person_ids=[supervisee.pk], as_of=as_of)

        cancel_session(
            session_id=session.pk,
            reason="Recorded twice",
            by=supervisor.user,
            as_of=as_of,
        )

        assert row_of(supervisee).last_session_on is None
        session.refresh_from_db()
        assert session.cancelled_reason == "Recorded twice"

    def test_a_role_change_updates_the_row_through_the_workforce_signal(
        self, pair, as_of
    ):
        _, supervisee = pair
        sync_supervision_status(person_ids=[supervisee.pk], as_of=as_of)
        supervisee.job_role = JobRoleFactory(is_frontline=False)
        supervisee.save()

        staff_changed.send(sender=type(supervisee), profile_ids=[supervisee.pk])

        assert row_of(supervisee).due_on is None


class TestSync:
    def test_a_second_run_changes_nothing(self, pair, as_of):
        supervisor, supervisee = pair
        SupervisionSessionFactory(supervisor=supervisor, attendees=[supervisee])

        first = sync_supervision_status(as_of=as_of)
        second = sync_supervision_status(as_of=as_of)

        assert first == 2 and second == 0

    def test_it_repairs_a_row_that_drifted(self, pair, as_of):
        _, supervisee = pair
        sync_supervision_status(as_of=as_of)
        SupervisionStatus.objects.filter(person=supervisee).update(due_on=None)

        assert sync_supervision_status(as_of=as_of) == 1
        assert row_of(supervisee).due_on == date(2024, 1, 29)


class TestSqlAgreesWithTheRule:
    def test_with_status_matches_status_on_for_every_day(self, make_person, nqsw_role):
        supervisor = make_person(Role.SUPERVISOR)
        people = [
            make_person(started_in_role=date(2025, 12, 1) + timedelta(days=9 * i))
            for i in range(6)
        ] + [
            make_person(job_role=nqsw_role, qualified_on=date(2025, 12, 20)),
            make_person(job_role=JobRoleFactory(is_frontline=False)),
        ]
        SupervisionSessionFactory(
            supervisor=supervisor, held_on=date(2026, 1, 20), attendees=people[:2]
        )
        sync_supervision_status(as_of=date(2026, 1, 20))
        rows = list(SupervisionStatus.objects.all())

        for offset in range(0, 120):
            day = date(2026, 1, 1) + timedelta(days=offset)
            sql = dict(
                SupervisionStatus.objects.with_status(as_of=day).values_list(
                    "person_id", "status"
                )
            )
            assert sql == {row.person_id: row.status_on(day).value for row in rows}
            qs = SupervisionStatus.objects
            assert set(qs.overdue(as_of=day).values_list("person_id", flat=True)) == {
                r.person_id
                for r in rows
                if r.status_on(day)
                in {Status.OVERDUE, Status.ESCALATED, Status.ESCALATED_TWICE}
            }
            assert set(
                qs.escalated_twice(as_of=day).values_list("person_id", flat=True)
            ) == {
                r.person_id for r in rows if r.status_on(day) is Status.ESCALATED_TWICE
            }
