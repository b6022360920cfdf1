"""Group sessions, reassignment, encrypted reasons and the check-in read log.

In a group session each supervisee reads their own check-in, wellbeing notes and
actions, never a colleague's. After reassignment the former supervisor reads the
sessions they ran but changes nothing, and the new supervisor sees the open actions
carried forward.
"""

from datetime import date

import pytest
from django.db import connection
from django.urls import reverse

from accounts.roles import Role
from supervision import services
from supervision.models import (
    AccessEvent,
    SessionAction,
    SessionAttendance,
    SupervisionSession,
)
from tests.factories.supervision import SupervisionSessionFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 3, 15)


@pytest.fixture
def group(make_person):
    supervisor = make_person(Role.SUPERVISOR, Role.PRACTITIONER)
    a, b = (
        make_person(
            Role.PRACTITIONER,
            organisation=supervisor.organisation,
            team=supervisor.team,
            supervisor=supervisor,
        )
        for _ in range(2)
    )
    session = SupervisionSessionFactory(
        supervisor=supervisor,
        format=SupervisionSession.Format.GROUP,
        state=SupervisionSession.State.DRAFT,
        attendees=[a, b],
    )
    for person, note, action in (
        (a, "A-WELLBEING: my own worries", "A-ACTION: book leave"),
        (b, "B-WELLBEING: a bereavement at home", "B-ACTION: see occupational health"),
    ):
        services.record_check_in(
            session_id=session.pk,
            person_id=person.pk,
            impact=8 if person == b else 3,
            switching_off=None,
            support=None,
            workload=None,
            support_offered=[],
            caseload=None,
            wellbeing_notes=note,
            by=supervisor.user,
        )
        services.add_action(
            session_id=session.pk,
            owner_id=person.pk,
            description=action,
            due_on=date(2026, 4, 1),
            by=supervisor.user,
        )
    services.finalise_session(session_id=session.pk, by=supervisor.user, as_of=AS_OF)
    return supervisor, a, b, session


def page(client, user, session) -> str:
    client.force_login(user)
    response = client.get(reverse("supervision:session_detail", args=[session.pk]))
    assert response.status_code == 200
    return response.content.decode()


class TestGroupSession:
    def test_attendee_a_sees_neither_b_s_wellbeing_notes_nor_b_s_actions(
        self, client, group
    ):
        _, a, _b, session = group
        text = page(client, a.user, session)
        assert "A-WELLBEING" in text and "A-ACTION" in text
        assert "B-WELLBEING" not in text
        assert "B-ACTION" not in text
        assert "bereavement" not in text

    def test_the_supervisor_sees_everyone_s(self, client, group):
        supervisor, _, _, session = group
        text = page(client, supervisor.user, session)
        for marker in ("A-WELLBEING", "B-WELLBEING", "A-ACTION", "B-ACTION"):
            assert marker in text

    def test_a_cannot_mark_b_s_action_done(self, client, group):
        _, a, b, _ = group
        action = SessionAction.objects.get(owner=b)
        client.force_login(a.user)
        response = client.post(reverse("supervision:action_done", args=[action.pk]))
        assert response.status_code == 404
        action.refresh_from_db()
        assert action.done_on is None

    def test_a_s_read_leaves_nothing_in_b_s_access_log(self, client, group):
        _, a, b, session = group
        page(client, a.user, session)
        # A read nothing of B's, so B's access log shows no read by A; and A's own
        # page loads of their own record are not logged at all (issue 14).
        assert not AccessEvent.objects.filter(user=a.user, person=b).exists()
        assert not AccessEvent.objects.filter(user=a.user, session=session).exists()

    def test_wellbeing_notes_are_stored_encrypted(self, group):
        _, _, b, _session = group
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT wellbeing_notes FROM supervision_sessionattendance "
                "WHERE person_id = %s",
                [b.pk],
            )
            (stored,) = cursor.fetchone()
        assert stored.startswith("fernet:")
        assert "bereavement" not in stored


class TestCheckInFormRead:
    def test_opening_a_check_in_form_logs_a_read(self, client, group):
        supervisor, a, _, session = group
        client.force_login(supervisor.user)
        response = client.get(
            reverse("supervision:record_check_in", args=[session.pk, a.pk])
        )
        assert response.status_code == 200
        assert "A-WELLBEING" in response.content.decode()
        event = AccessEvent.objects.get(
            user=supervisor.user, action=AccessEvent.Action.OPENED_CHECK_IN
        )
        assert (event.person_id, event.session_id) == (a.pk, session.pk)


class TestReassignment:
    @pytest.fixture
    def moved(self, group, make_person):
        supervisor, a, b, session = group
        newcomer = make_person(
            Role.SUPERVISOR, Role.PRACTITIONER, organisation=supervisor.organisation
        )
        for person in (a, b):
            person.supervisor = newcomer
            person.save()
        return supervisor, newcomer, a, b, session

    def test_the_former_supervisor_reads_the_session_but_cannot_change_it(
        self, client, moved
    ):
        former, _, a, _, session = moved
        text = page(client, former.user, session)
        assert "A-WELLBEING" in text
        assert "You no longer supervise anyone at this session" in text
        assert reverse("supervision:session_edit", args=[session.pk]) not in text
        for name, args in (
            ("supervision:session_edit", [session.pk]),
            ("supervision:action_new", [session.pk]),
            ("supervision:session_cancel", [session.pk]),
            ("supervision:record_check_in", [session.pk, a.pk]),
        ):
            assert client.get(reverse(name, args=args)).status_code == 404, name
            assert client.post(reverse(name, args=args)).status_code == 404, name
        with pytest.raises(services.NotAllowed):
            services.cancel_session(
                session_id=session.pk, reason="x", by=former.user, as_of=AS_OF
            )
        action = SessionAction.objects.get(owner=a)
        with pytest.raises(services.NotAllowed):
            services.complete_action(action_id=action.pk, by=former.user, as_of=AS_OF)

    def test_the_new_supervisor_sees_the_open_actions_but_not_the_old_record(
        self, client, moved
    ):
        _, newcomer, a, b, session = moved
        client.force_login(newcomer.user)
        response = client.get(reverse("supervision:session_detail", args=[session.pk]))
        assert response.status_code == 404
        carried = SessionAction.objects.for_user(newcomer.user)
        assert set(carried.values_list("owner_id", flat=True)) == {a.pk, b.pk}
        action = carried.get(owner=a)
        services.complete_action(action_id=action.pk, by=newcomer.user, as_of=AS_OF)
        assert not SessionAttendance.objects.content_for_user(newcomer.user).exists()


class TestEncryptedReasons:
    def test_a_cancel_reason_is_stored_encrypted_and_rotates(self, pair, settings):
        from cryptography.fernet import Fernet

        from supervision.management.commands.rotate_keys import rotate_all

        supervisor, supervisee = pair
        session = SupervisionSessionFactory(
            supervisor=supervisor,
            state=SupervisionSession.State.DRAFT,
            attendees=[supervisee],
        )
        services.cancel_session(
            session_id=session.pk,
            reason="Supervisee off sick with stress",
            by=supervisor.user,
            as_of=AS_OF,
        )

        def stored() -> str:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT cancelled_reason FROM supervision_supervisionsession "
                    "WHERE id = %s",
                    [session.pk],
                )
                return cursor.fetchone()[0]

        before = stored()
        assert before.startswith("fernet:") and "sick" not in before
        settings.FIELD_ENCRYPTION_KEYS = [
            Fernet.generate_key().decode(),
            *settings.FIELD_ENCRYPTION_KEYS,
        ]
        rotate_all()
        assert stored() != before
        session.refresh_from_db()
        assert session.cancelled_reason == "Supervisee off sick with stress"

    def test_an_exception_note_is_stored_encrypted_and_rotates(self, settings):
        from cryptography.fernet import Fernet

        from learning.models import TrainingException
        from supervision.management.commands.rotate_keys import rotate_all
        from tests.factories.learning import RequirementFactory
        from tests.factories.workforce import StaffProfileFactory, UserFactory

        exception = TrainingException.objects.create(
            person=StaffProfileFactory(),
            requirement=RequirementFactory(),
            kind="exempt",
            reason="sickness",
            note="Cancer treatment until the summer",
            closing_note="Back after chemotherapy",
            recorded_by=UserFactory(),
        )

        def stored() -> tuple[str, str]:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT note, closing_note FROM learning_trainingexception "
                    "WHERE id = %s",
                    [exception.pk],
                )
                return cursor.fetchone()

        before = stored()
        for value in before:
            assert value.startswith("fernet:")
            assert "Cancer" not in value and "chemo" not in value
        settings.FIELD_ENCRYPTION_KEYS = [
            Fernet.generate_key().decode(),
            *settings.FIELD_ENCRYPTION_KEYS,
        ]
        rotate_all()
        assert stored() != before
        exception.refresh_from_db()
        assert exception.note == "Cancer treatment until the summer"
        assert exception.closing_note == "Back after chemotherapy"
