"""Leavers past retention are anonymised: their name and words go, the dated records
funders' figures are counted from stay, and a second run changes nothing."""

import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from wagtail.models import ModelLogEntry

from accounts.roles import Role
from commissioning.reports import provider_scope, tables_for
from home.erasure import erase_leavers
from home.tasks import erase_leavers_task
from learning.models import Completion, Feedback
from learning.rules import ExceptionKind
from learning.services import record_exception, sync_training_status
from supervision import sealed_notes, services
from supervision.models import SessionAttendance, SupervisionSession
from tests.factories import JobRoleFactory, OrganisationFactory, TeamFactory
from tests.factories.learning import CompletionFactory, RequirementFactory
from tests.factories.notifications import NotificationFactory
from tests.factories.supervision import SupervisionSessionFactory
from workforce.audit import record_audit

pytestmark = pytest.mark.django_db

NAME = ("Zebedee", "Quartermaine")
EMAIL = "zeb.quartermaine@example.org"
LEFT_ON = date(2018, 6, 30)
PAST_MONTH_END = date(2018, 1, 31)
TODAY = date(2026, 3, 15)
WORDS = ("FEEDBACK-ZQ", "EXC-NOTE-ZQ", "FEELINGS-ZQ", "WELLBEING-ZQ", "SEALED-ZQ")


@pytest.fixture
def county(make_person):
    role = JobRoleFactory(slug="social-worker")
    requirement = RequirementFactory(
        job_roles=[role], effective_from=date(2017, 1, 1), renewal_months=36
    )
    org = OrganisationFactory()
    team = TeamFactory(organisation=org)
    manager = make_person(Role.PROVIDER_MANAGER, organisation=org, team=team)
    supervisor = make_person(
        Role.SUPERVISOR, organisation=org, team=team, job_role=role
    )
    people = [
        make_person(
            Role.PRACTITIONER,
            organisation=org,
            team=team,
            job_role=role,
            supervisor=supervisor,
            started_in_role=date(2016, 1, 1),
        )
        for _ in range(6)
    ]
    leaver = people[0]
    leaver.user.first_name, leaver.user.last_name = NAME
    leaver.user.email = leaver.user.username = EMAIL
    leaver.user.save()
    for person in people:
        CompletionFactory(
            person=person, module=requirement.module, completed_on=date(2017, 12, 1)
        )
    Feedback.objects.create(
        completion=Completion.objects.get(person=leaver), rating=4, comment=WORDS[0]
    )
    sync_training_status(as_of=date(2018, 1, 15))
    record_exception(
        person=leaver,
        requirement=requirement,
        kind=ExceptionKind.EXEMPT,
        reason="sickness",
        note=WORDS[1],
        until=None,
        recorded_by=manager.user,
        as_of=date(2018, 1, 15),
    )
    session = SupervisionSessionFactory(
        supervisor=supervisor,
        held_on=date(2018, 1, 10),
        state=SupervisionSession.State.DRAFT,
        attendees=[leaver],
        feelings=WORDS[2],
    )
    SessionAttendance.objects.filter(session=session).update(wellbeing_notes=WORDS[3])
    services.finalise_session(
        session_id=session.pk, by=supervisor.user, as_of=date(2018, 1, 10)
    )
    sealed_notes.write_sealed_note(
        by=supervisor.user, supervisee_id=leaver.pk, text=WORDS[4]
    )
    NotificationFactory(
        recipient=manager.user,
        subject=f"Weekly digest: {' '.join(NAME)} is overdue",
        body_text=f"{' '.join(NAME)} ({EMAIL}) is overdue.\n",
        body_html=f"<p>{' '.join(NAME)} is overdue.</p>",
    )
    record_audit(
        actor=manager.user, action="sustain.registration.record", instance=leaver
    )
    leaver.left_on = LEFT_ON
    leaver.save(update_fields=["left_on"])
    return {"leaver": leaver, "manager": manager, "org": org}


def figures(as_of: date) -> list:
    return [
        (table.key, table.rows)
        for table in tables_for(provider_scope(None, as_of=as_of))
    ]


def everything() -> str:
    """Every row of every table, decrypted, as one string."""
    out = io.StringIO()
    call_command("dumpdata", stdout=out, exclude=["contenttypes", "auth.permission"])
    return out.getvalue()


class TestErasure:
    def test_a_past_month_s_figures_do_not_change(self, county):
        before = figures(PAST_MONTH_END)
        assert any(
            value not in (None, 0, "")
            for _, rows in before
            for row in rows
            for key, value in row.items()
            if key not in ("provider_id", "team_id", "suppressed")
            and isinstance(value, int | float)
        ), "the month has real figures, not only suppressed ones"
        assert erase_leavers(as_of=TODAY).people == 1
        assert figures(PAST_MONTH_END) == before
        # Their completion still counts, now attached to no name.
        completion = Completion.objects.get(person=county["leaver"])
        assert completion.person.full_name == f"Erased person {county['leaver'].pk}"

    def test_the_person_cannot_be_found_by_name_anywhere(self, county):
        dump = everything()
        assert NAME[1] in dump and EMAIL in dump and all(w in dump for w in WORDS)
        erase_leavers(as_of=TODAY)
        dump = everything()
        for trace in (*NAME, EMAIL, *WORDS):
            assert trace not in dump, trace
        leaver = county["leaver"]
        leaver.refresh_from_db()
        assert not leaver.user.is_active and not leaver.user.has_usable_password()

    def test_one_audit_entry_per_person_without_what_was_erased(self, county):
        erase_leavers(as_of=TODAY)
        entry = ModelLogEntry.objects.get(action="sustain.person.erase")
        assert entry.object_id == str(county["leaver"].pk) and entry.user is None
        text = json.dumps(entry.data) + entry.label
        for trace in (*NAME, EMAIL, *WORDS, "sickness"):
            assert trace not in text

    def test_a_second_run_does_nothing(self, county):
        assert erase_leavers_task(as_of=TODAY.isoformat()) == 1
        dump = everything()
        again = erase_leavers(as_of=TODAY)
        assert again.people == 0
        assert ModelLogEntry.objects.filter(action="sustain.person.erase").count() == 1
        assert everything() == dump

    def test_someone_within_retention_is_left_alone(self, county):
        assert erase_leavers(as_of=date(2024, 6, 29)).people == 0
        org = county["org"]
        org.supervision_retention_months = 25 * 12  # the organisation keeps longer
        org.save()
        assert erase_leavers(as_of=TODAY).people == 0
        assert NAME[1] in everything()

    def test_chunks_of_one_erase_everyone_due(self, county, make_person):
        other = make_person(Role.PRACTITIONER, organisation=county["org"])
        other.left_on = LEFT_ON
        other.save(update_fields=["left_on"])
        result = erase_leavers(as_of=TODAY, chunk_size=1)
        assert (result.people, result.chunks) == (2, 2)


class TestDryRun:
    def test_the_command_counts_and_changes_nothing(self, county):
        dump = everything()
        out = io.StringIO()
        call_command(
            "erase_leavers", "--dry-run", "--date", TODAY.isoformat(), stdout=out
        )
        text = out.getvalue()
        assert "Would erase 1 people" in text
        assert "sealed notes: 1" in text and "sessions: 1" in text
        assert everything() == dump

    def test_the_command_erases_without_dry_run(self, county):
        out = io.StringIO()
        call_command("erase_leavers", "--date", TODAY.isoformat(), stdout=out)
        assert "Erased 1 people" in out.getvalue()
        assert NAME[1] not in everything()

    def test_a_bad_date_is_refused(self):
        from django.core.management.base import CommandError

        with pytest.raises(CommandError, match="YYYY-MM-DD"):
            call_command("erase_leavers", "--date", "15/03/2026")


def test_beat_runs_the_erasure_nightly(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "home.tasks.erase_leavers_task" in tasks
