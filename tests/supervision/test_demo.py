"""The demo: every state for the supervisor, and the browser flow end to end."""

import re
from datetime import timedelta
from itertools import pairwise

import pytest
from django.urls import reverse

from learning.content import MODULES_DIR
from notifications.models import Flag, FlagKind
from notifications.sweep import run_daily_sweep
from supervision import demo
from supervision.models import (
    CheckInScoreRecord,
    SessionAttendance,
    SupervisionSession,
    SupervisionStatus,
)
from workforce.demo import seed_workforce
from workforce.models import StaffProfile

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(as_of):
    workforce = seed_workforce(as_of=as_of)
    summary = demo.seed(as_of=as_of, workforce=workforce)
    people = {p.user.username: p for p in workforce.people}
    return workforce, summary, people


class TestDemo:
    def test_the_supervisor_has_supervisees_in_every_state(self, seeded, as_of):
        _, _, people = seeded

        statuses = set(
            SupervisionStatus.objects.with_status(as_of=as_of)
            .filter(person__supervisor=people["supervisor"])
            .values_list("status", flat=True)
        )

        assert {
            "in_date",
            "due_soon",
            "overdue",
            "escalated",
            "escalated_twice",
        } <= statuses

    def test_every_finalised_check_in_has_its_score_record(self, seeded):
        counted = SessionAttendance.objects.filter(
            session__state="finalised", impact_score__isnull=False
        )

        assert counted.exists()
        # Foster carers' check-ins stay in their records: no staff aggregate.
        assert counted.filter(person__kind="foster_carer").exists()
        assert (
            CheckInScoreRecord.objects.count()
            == counted.filter(person__kind="staff").count()
        )

    def test_foster_carers_are_supervised_by_supervising_social_workers(self, seeded):
        carers = StaffProfile.objects.filter(kind="foster_carer")

        assert carers.count() >= 3
        assert set(carers.values_list("job_role__slug", flat=True)) == {"foster-carer"}
        assert set(carers.values_list("supervisor__job_role__slug", flat=True)) == {
            "supervising-social-worker"
        }
        assert not carers.filter(line_manager__isnull=False).exists()
        # Registered, so no carer is flagged for an unregistered supervisor.
        assert not carers.filter(supervisor__registration_number="").exists()
        visits = SupervisionSession.objects.filter(attendances__person__in=carers)
        assert visits.filter(unannounced=True).exists()
        assert not visits.filter(attendances__caseload__isnull=False).exists()
        for visit in visits.filter(state="finalised")[:20]:
            assert "Strategy meeting" not in visit.experience
            assert "court" not in visit.experience.lower()
        assert not SupervisionStatus.objects.filter(
            person__in=carers, policy__isnull=False
        ).exists()

    def test_newly_qualified_workers_are_seen_weekly_in_their_first_six_weeks(
        self, seeded
    ):
        for person in StaffProfile.objects.filter(job_role__slug="nqsw"):
            held = sorted(
                SessionAttendance.objects.filter(
                    person=person, session__format="one_to_one"
                )
                .exclude(session__state="draft")
                .values_list("session__held_on", flat=True)
            )
            early = [
                (b - a).days
                for a, b in pairwise(held)
                if b < person.started_in_role + timedelta(weeks=6)
            ]
            assert all(gap == 7 for gap in early), (person.pk, early)

    def test_debriefs_are_occasional_and_scheduled_sessions_count(self, seeded):
        finalised = SupervisionSession.objects.filter(state="finalised")
        debriefs = finalised.filter(format="debrief").count()

        assert 0 < debriefs <= finalised.count() / 20
        assert not finalised.filter(
            attendances__person__job_role__slug="nqsw", duration_minutes__lt=90
        ).exists()
        assert set(finalised.values_list("format", flat=True)) == {
            "one_to_one",
            "debrief",
        }

    def test_a_second_run_adds_nothing(self, seeded, as_of):
        workforce, _, _ = seeded
        before = SupervisionSession.objects.count()
        records = CheckInScoreRecord.objects.count()

        summary = demo.seed(as_of=as_of, workforce=workforce)

        assert SupervisionSession.objects.count() == before
        assert CheckInScoreRecord.objects.count() == records
        assert summary.startswith("0 sessions")

    def test_the_supervisor_logs_a_session_and_the_practitioner_signs_it_off(
        self, seeded, client, as_of
    ):
        _, _, people = seeded
        practitioner = people["practitioner"]
        client.force_login(people["supervisor"].user)
        assert (
            "Sam Patel"
            in client.get(reverse("supervision:supervisor_dashboard")).content.decode()
        )

        client.post(
            reverse("supervision:session_new"),
            {
                "supervisees": [practitioner.pk],
                "held_on": as_of.isoformat(),
                "duration_minutes": "90",
                "format": "one_to_one",
                "experience": "Talked through the week on C-1042.",
            },
        )
        session = SupervisionSession.objects.filter(
            supervisor=people["supervisor"]
        ).first()
        client.post(reverse("supervision:session_finalise", args=[session.pk]))
        client.force_login(practitioner.user)
        page = client.get(reverse("supervision:session_detail", args=[session.pk]))
        client.post(reverse("supervision:sign_off", args=[session.pk, "acknowledge"]))
        client.post(
            reverse("supervision:sign_off", args=[session.pk, "reflection"]),
            {"text": "Glad we made time for this."},
        )

        assert "Talked through the week on C-1042." in page.content.decode()
        mine = SessionAttendance.objects.get(session=session, person=practitioner)
        assert mine.acknowledged_at is not None
        assert mine.supervisee_reflection == "Glad we made time for this."
        assert (
            SupervisionStatus.objects.get(person=practitioner).status_on(as_of).value
            == "in_date"
        )


class TestDemoRegistrations:
    def test_the_demo_sweep_flags_no_social_worker_for_an_unregistered_supervisor(
        self, seeded, as_of
    ):
        run_daily_sweep(as_of=as_of)

        assert (
            StaffProfile.objects.filter(
                supervisees__job_role__is_social_work=True, registration_number=""
            ).count()
            == 0
        )
        assert not Flag.objects.filter(kind=FlagKind.REGISTRATION).exists()
        # ...while a lapsed check is still flagged on the day after it lapses.
        supervisor = StaffProfile.objects.filter(
            supervisees__job_role__is_social_work=True
        ).first()
        supervisor.registration_checked_on = as_of - timedelta(days=400)
        supervisor.save(update_fields=["registration_checked_on"])
        run_daily_sweep(as_of=as_of + timedelta(days=1))
        assert Flag.objects.filter(
            kind=FlagKind.REGISTRATION, person__supervisor=supervisor
        ).exists()


# The emotional-impact module's case studies are about practitioners (Sam and Tom,
# like the demo practitioner); every other case study is about a young person.
PRACTITIONER_MODULE = "emotional-impact-and-supervision.json"


def _words_in(path) -> set[str]:
    return set(re.findall(r"\b[A-Z][a-z]+\b", path.read_text()))


class TestDemoNames:
    def test_no_one_in_the_demo_workforce_shares_a_young_person_s_name(self, seeded):
        workforce, _, _ = seeded
        staff = {person.user.first_name for person in workforce.people}
        about_young_people = set().union(
            *(
                _words_in(path)
                for path in sorted(MODULES_DIR.glob("*.json"))
                if path.name != PRACTITIONER_MODULE
            )
        )

        assert len(staff) > 20
        assert staff & about_young_people == set()

    def test_the_practitioner_module_is_the_one_whose_case_studies_name_staff(self):
        practitioner_text = (MODULES_DIR / PRACTITIONER_MODULE).read_text()

        assert "Sam" in practitioner_text and "Tom" in practitioner_text
