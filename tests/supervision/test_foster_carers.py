"""Foster carers: their own ladder under the fostering standards, their supervising
social worker, and no place in any figure about a provider's staff."""

from datetime import date, timedelta

import pytest

from accounts.roles import Role
from notifications.models import Flag, FlagKind
from notifications.sweep import refresh_flags
from supervision.controls import supervisor_unregistered, unannounced_visit_due
from supervision.models import (
    SessionAttendance,
    SupervisionSession,
    SupervisionStatus,
    foster_carer_counted_q,
)
from supervision.rules import (
    FOSTER_CARER_MIN_MINUTES,
    Status,
    foster_carer_ladder,
    foster_carer_visit_counts,
    status_on,
    unannounced_visit_due_from,
)
from supervision.services import (
    SessionDetails,
    create_session,
    ensure_default_policies,
    finalise_session,
    sync_supervision_status,
)
from tests.factories import JobRoleFactory
from tests.factories.supervision import SupervisionSessionFactory
from workforce.models import PersonKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def household(make_person):
    """A supervising social worker, a foster carer they supervise, and a staff
    member with the same supervisor, so the two ladders sit side by side."""
    ensure_default_policies()
    ssw = make_person(
        Role.SUPERVISOR,
        Role.PRACTITIONER,
        job_role=JobRoleFactory(slug="supervising-social-worker", is_social_work=True),
    )
    carer = make_person(
        Role.PRACTITIONER,
        organisation=ssw.organisation,
        team=ssw.team,
        supervisor=ssw,
        job_role=JobRoleFactory(slug="foster-carer", name="Foster carer"),
        kind=PersonKind.FOSTER_CARER,
        started_in_role=date(2025, 6, 1),
    )
    worker = make_person(
        Role.PRACTITIONER,
        organisation=ssw.organisation,
        team=ssw.team,
        supervisor=ssw,
        started_in_role=date(2025, 6, 1),
    )
    return ssw, carer, worker


def visit(supervisor, person, held_on, **fields):
    return SupervisionSessionFactory(
        supervisor=supervisor, held_on=held_on, attendees=[person], **fields
    )


class TestTheLadder:
    def test_a_visit_makes_the_next_due_a_calendar_month_later(self):
        dates = foster_carer_ladder(anchor=date(2026, 1, 31))

        assert dates.due_on == date(2026, 2, 28)
        assert dates.due_soon_from == date(2026, 2, 21)
        assert dates.escalate_on == date(2026, 3, 14)
        assert dates.escalate_twice_on == date(2026, 3, 31)

    def test_the_carer_follows_their_ladder_and_the_worker_the_staff_one(
        self, household
    ):
        ssw, carer, worker = household
        for person in (carer, worker):
            visit(ssw, person, date(2026, 3, 1))

        sync_supervision_status(
            person_ids=[carer.pk, worker.pk], as_of=date(2026, 3, 30)
        )

        carer_row = SupervisionStatus.objects.get(person=carer)
        worker_row = SupervisionStatus.objects.get(person=worker)
        assert carer_row.due_on == date(2026, 4, 1)  # a month
        assert worker_row.due_on == date(2026, 3, 29)  # the default 28 days
        assert carer_row.policy_id is None  # no staff policy applies
        on = date(2026, 3, 30)
        assert carer_row.status_on(on) is Status.DUE_SOON
        assert worker_row.status_on(on) is Status.OVERDUE

    def test_a_short_visit_or_a_support_group_does_not_reset_the_carers_clock(
        self, household
    ):
        ssw, carer, _ = household
        visit(ssw, carer, date(2026, 2, 1))
        visit(
            ssw, carer, date(2026, 2, 20), duration_minutes=FOSTER_CARER_MIN_MINUTES - 1
        )
        visit(ssw, carer, date(2026, 2, 25), format=SupervisionSession.Format.GROUP)
        visit(ssw, carer, date(2026, 2, 27), format=SupervisionSession.Format.DEBRIEF)

        sync_supervision_status(person_ids=[carer.pk], as_of=date(2026, 3, 1))

        assert SupervisionStatus.objects.get(person=carer).anchor_on == date(2026, 2, 1)

    def test_the_carers_flags_follow_their_ladder(self, household):
        ssw, carer, worker = household
        for person in (carer, worker):
            visit(ssw, person, date(2026, 3, 1))
        ids = [carer.pk, worker.pk]
        for day in (date(2026, 3, 30), date(2026, 4, 1), date(2026, 4, 2)):
            sync_supervision_status(person_ids=ids, as_of=day)
            refresh_flags(person_ids=ids, kinds=[FlagKind.SUPERVISION], as_of=day)
            flagged = set(
                Flag.objects.open()
                .filter(kind=FlagKind.SUPERVISION)
                .values_list("person_id", flat=True)
            )
            # The worker is overdue from 30 March; the carer only after 1 April.
            assert (worker.pk in flagged, carer.pk in flagged) == (
                True,
                day > date(2026, 4, 1),
            ), day


GRID_ANCHORS = [
    date(2025, 1, 31),
    date(2025, 2, 28),
    date(2024, 2, 29),
    date(2025, 6, 15),
    date(2025, 12, 31),
]


class TestTheRuleAndItsSQLTwinAgree:
    def test_on_a_grid_of_dates(self, household):
        """For each last visit and every day over the next ten weeks, the status the
        pages read in SQL is the one the pure rule gives."""
        ssw, carer, _ = household
        carer.started_in_role = date(2024, 1, 1)
        carer.save()
        for anchor in GRID_ANCHORS:
            SupervisionSession.objects.filter(supervisor=ssw).delete()
            visit(ssw, carer, anchor)
            sync_supervision_status(person_ids=[carer.pk], as_of=anchor)
            expected = foster_carer_ladder(anchor=anchor)
            for offset in range(0, 72):
                day = anchor + timedelta(days=offset)
                sql = (
                    SupervisionStatus.objects.filter(person=carer)
                    .with_status(as_of=day)
                    .values_list("status", flat=True)
                    .get()
                )
                pure = status_on(
                    due_on=expected.due_on,
                    due_soon_from=expected.due_soon_from,
                    escalate_on=expected.escalate_on,
                    escalate_twice_on=expected.escalate_twice_on,
                    as_of=day,
                )
                assert sql == pure.value, (anchor, day)

    def test_on_which_visits_count(self, household):
        ssw, carer, _ = household
        grid = [
            (format, minutes)
            for format in SupervisionSession.Format.values
            for minutes in (
                1,
                FOSTER_CARER_MIN_MINUTES - 1,
                FOSTER_CARER_MIN_MINUTES,
                240,
            )
        ]
        for format, minutes in grid:
            visit(ssw, carer, date(2026, 1, 1), format=format, duration_minutes=minutes)
        counted = set(
            SessionAttendance.objects.filter(
                foster_carer_counted_q("session__"), person=carer
            ).values_list("session__format", "session__duration_minutes")
        )

        assert counted == {
            cell
            for cell in grid
            if foster_carer_visit_counts(format=cell[0], duration_minutes=cell[1])
        }


class TestTheSupervisingSocialWorker:
    def test_a_carer_supervised_by_someone_unregistered_is_flagged(self, household):
        _, carer, worker = household

        opened = supervisor_unregistered([carer.pk, worker.pk], as_of=date(2026, 3, 1))

        # The worker is not in a social work role; the carer needs a social worker.
        assert opened == {carer.pk: carer.started_in_role}

    def test_a_registered_supervising_social_worker_clears_it(self, household):
        ssw, carer, _ = household
        ssw.registration_body = "swe"
        ssw.registration_number = "SW123456"
        ssw.registration_checked_on = date(2026, 1, 10)
        ssw.save()

        assert supervisor_unregistered([carer.pk], as_of=date(2026, 3, 1)) == {}


class TestTheUnannouncedVisit:
    """NMS 2011 standard 21.8: at least one unannounced visit a year."""

    GRID = [None, date(2025, 2, 28), date(2024, 2, 29), date(2025, 8, 31)]

    def test_the_rule_and_its_sql_twin_agree_on_a_grid_of_dates(self, household):
        ssw, carer, worker = household
        carer.started_in_role = date(2024, 1, 31)
        carer.save()
        for last in self.GRID:
            SupervisionSession.objects.filter(supervisor=ssw).delete()
            if last is not None:
                visit(ssw, carer, last, unannounced=True)
                visit(ssw, carer, last + timedelta(days=40))  # announced: no help
            due = unannounced_visit_due_from(
                approved_on=carer.started_in_role, last_unannounced_on=last
            )
            for offset in range(-3, 4):
                day = due + timedelta(days=offset)
                opened = unannounced_visit_due([carer.pk, worker.pk], as_of=day)
                assert opened == ({carer.pk: due} if day >= due else {}), (last, day)

    def test_the_flag_opens_on_the_day_for_the_supervisor_and_is_hidden_from_the_carer(
        self, household
    ):
        ssw, carer, _ = household  # approved 1 June 2025
        for day, expected in [(date(2026, 5, 31), False), (date(2026, 6, 1), True)]:
            refresh_flags(
                person_ids=[carer.pk], kinds=[FlagKind.UNANNOUNCED], as_of=day
            )
            assert Flag.objects.open().filter(person=carer).exists() is expected, day

        assert Flag.objects.open().for_user(ssw.user).filter(person=carer).exists()
        assert not Flag.objects.open().for_user(carer.user).exists()

    def test_an_unannounced_visit_recorded_by_the_supervisor_closes_it(self, household):
        ssw, carer, _ = household
        day = date(2026, 6, 10)
        refresh_flags(person_ids=[carer.pk], kinds=[FlagKind.UNANNOUNCED], as_of=day)
        session = create_session(
            supervisor=ssw,
            supervisee_ids=[carer.pk],
            details=SessionDetails(
                held_on=day, duration_minutes=60, format="one_to_one", unannounced=True
            ),
            as_of=day,
        )
        finalise_session(session_id=session.pk, by=ssw.user, as_of=day)
        refresh_flags(person_ids=[carer.pk], kinds=[FlagKind.UNANNOUNCED], as_of=day)

        assert not Flag.objects.open().filter(person=carer).exists()
        assert unannounced_visit_due([carer.pk], as_of=date(2027, 6, 9)) == {}
        assert unannounced_visit_due([carer.pk], as_of=date(2027, 6, 10)) == {
            carer.pk: date(2027, 6, 10)
        }

    def test_the_supervising_social_worker_ticks_it_on_the_session_form(
        self, client, household, make_person
    ):
        from django.urls import reverse

        ssw, carer, _ = household
        client.force_login(ssw.user)
        form = client.get(reverse("supervision:session_new")).content.decode()
        assert "This was an unannounced visit to a foster carer" in form

        response = client.post(
            reverse("supervision:session_new"),
            {
                "supervisees": [carer.pk],
                "held_on": "2026-03-10",
                "duration_minutes": "60",
                "format": "one_to_one",
                "unannounced": "on",
            },
        )

        assert response.status_code == 302, response.content.decode()[:2000]
        assert SupervisionSession.objects.get(supervisor=ssw).unannounced

    def test_a_supervisor_of_staff_only_is_not_offered_it(self, client, make_person):
        from django.urls import reverse

        lead = make_person(Role.SUPERVISOR, Role.PRACTITIONER)
        make_person(Role.PRACTITIONER, organisation=lead.organisation, supervisor=lead)
        client.force_login(lead.user)

        form = client.get(reverse("supervision:session_new")).content.decode()

        assert "unannounced" not in form
