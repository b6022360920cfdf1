"""Status rows: what counts, when they change, and the SQL agreeing with the rule."""

from datetime import date, timedelta

import pytest

from accounts.roles import Role
from supervision.models import (
    SupervisionPolicy,
    SupervisionSession,
    SupervisionStatus,
)
from supervision.rules import Status
from supervision.services import (
    SessionDetails,
    cancel_session,
    create_session,
    finalise_session,
    sync_supervision_status,
)
from tests.factories import JobRoleFactory
from tests.factories.supervision import (
    PolicyStageFactory,
    SupervisionPolicyFactory,
    SupervisionSessionFactory,
)
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

    @pytest.mark.parametrize(
        ("counts_group", "counted"), [(False, None), (True, date(2026, 3, 10))]
    )
    def test_a_group_session_counts_only_where_the_policy_says(
        self, make_person, as_of, counts_group, counted
    ):
        SupervisionPolicy.objects.filter(is_default=True).update(
            counts_group=counts_group
        )
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

        assert {row_of(p).last_session_on for p in team} == {counted}

    def test_a_debrief_never_replaces_scheduled_supervision(self, pair, as_of):
        SupervisionPolicy.objects.update(counts_group=True, counts_peer=True)
        supervisor, supervisee = pair
        SupervisionSessionFactory(
            supervisor=supervisor,
            held_on=date(2026, 3, 10),
            format=SupervisionSession.Format.DEBRIEF,
            attendees=[supervisee],
        )

        sync_supervision_status(person_ids=[supervisee.pk], as_of=as_of)

        assert row_of(supervisee).last_session_on is None

    @pytest.mark.parametrize(
        ("minutes", "counted"), [(10, None), (89, None), (90, date(2026, 3, 10))]
    )
    def test_a_short_session_does_not_reset_a_newly_qualified_workers_clock(
        self, make_person, nqsw_role, as_of, minutes, counted
    ):
        supervisor = make_person(Role.SUPERVISOR)
        nqsw = make_person(job_role=nqsw_role, started_in_role=date(2026, 3, 2))
        SupervisionSessionFactory(
            supervisor=supervisor,
            held_on=date(2026, 3, 10),
            duration_minutes=minutes,
            attendees=[nqsw],
        )

        sync_supervision_status(person_ids=[nqsw.pk], as_of=as_of)

        row = row_of(nqsw)
        assert row.last_session_on == counted
        assert row.due_on == (counted or date(2026, 3, 2)) + timedelta(days=7)

    def test_the_weekly_stage_counts_from_the_start_not_qualification(
        self, make_person, nqsw_role, as_of
    ):
        """Qualified 40 days before starting: still weekly in the first six weeks."""
        supervisor = make_person(Role.SUPERVISOR)
        nqsw = make_person(
            job_role=nqsw_role,
            started_in_role=date(2026, 2, 9),
            qualified_on=date(2025, 12, 31),
        )
        SupervisionSessionFactory(
            supervisor=supervisor, held_on=date(2026, 3, 9), attendees=[nqsw]
        )

        sync_supervision_status(person_ids=[nqsw.pk], as_of=as_of)

        assert row_of(nqsw).interval_days == 7

    def test_wales_consolidation_caps_the_interval_for_three_years(
        self, make_person, as_of
    ):
        role = JobRoleFactory()
        policy = SupervisionPolicyFactory(job_role=role, consolidation_months=36)
        PolicyStageFactory(policy=policy, interval_days=90)
        newer = make_person(job_role=role, started_in_role=date(2024, 1, 1))
        older = make_person(job_role=role, started_in_role=date(2022, 1, 1))
        SupervisionSessionFactory(
            supervisor=make_person(Role.SUPERVISOR),
            held_on=date(2026, 3, 1),
            attendees=[newer, older],
        )

        sync_supervision_status(person_ids=[newer.pk, older.pk], as_of=as_of)

        assert (row_of(newer).interval_days, row_of(older).interval_days) == (28, 90)

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

    def test_a_newly_qualified_worker_follows_the_weekly_stage(
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


class TestCountedSqlAgreesWithTheRule:
    @pytest.mark.parametrize(
        "policy",
        [
            {"min_minutes": 60, "counts_group": False, "counts_peer": False},
            {"min_minutes": 90, "counts_group": True, "counts_peer": False},
            {"min_minutes": 30, "counts_group": True, "counts_peer": True},
        ],
    )
    def test_counted_q_keeps_exactly_the_sessions_counts_accepts(
        self, make_person, policy
    ):
        policy = SupervisionPolicy(**policy)
        supervisor = make_person(Role.SUPERVISOR)
        sessions = [
            SupervisionSessionFactory(
                supervisor=supervisor,
                format=fmt,
                duration_minutes=minutes,
                state=state,
                cancelled_reason="Off sick",
            )
            for fmt in SupervisionSession.Format.values
            for minutes in (1, 10, 29, 30, 59, 60, 89, 90, 480)
            for state in SupervisionSession.State.values
        ]

        sql = set(
            SupervisionSession.objects.filter(policy.counted_q()).values_list(
                "pk", flat=True
            )
        )

        assert sql == {
            s.pk
            for s in sessions
            if s.state == "finalised"
            and policy.counts(format=s.format, duration_minutes=s.duration_minutes)
        }
