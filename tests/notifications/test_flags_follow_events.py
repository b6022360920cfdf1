"""Flags open and close on the events that change a status, in the same
transaction; the daily sweep only repairs drift and sends what nobody was told."""

from datetime import date, timedelta

import pytest
from django.db import transaction

from learning.rules import ExceptionKind
from learning.services import (
    approve_external_training,
    record_exception,
    record_external_training,
    sync_training_status,
)
from notifications.models import Flag, FlagKind, FlagLevel, Notification
from notifications.sweep import FLAG_SOURCES, refresh_flags, run_daily_sweep
from supervision.services import (
    SessionDetails,
    create_session,
    finalise_session,
    sync_supervision_status,
)
from tests.notifications.sweep_world import build_world

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 3, 18)


@pytest.fixture
def world():
    return build_world()


def open_kinds(person) -> set[str]:
    return set(Flag.objects.open().filter(person=person).values_list("kind", flat=True))


class TestTrainingEvents:
    def test_approved_external_training_closes_the_flag_at_once(self, world):
        person = world.trainee(deadline=AS_OF - timedelta(3))
        run_daily_sweep(as_of=AS_OF)
        assert open_kinds(person) == {FlagKind.TRAINING}
        record = record_external_training(
            person=person,
            module=world.requirement.module,
            title="Course",
            provider="College",
            completed_on=AS_OF,
            evidence=None,
            evidence_reference="CERT-1",
            recorded_by=world.supervisor.user,
            as_of=AS_OF,
        )

        approve_external_training(
            record=record, approved_by=world.provider_manager.user, as_of=AS_OF
        )

        flag = Flag.objects.get(person=person)
        assert flag.closed_on == AS_OF
        assert open_kinds(person) == set()

    def test_an_extension_closes_the_overdue_flag_at_once(self, world):
        person = world.trainee(deadline=AS_OF - timedelta(1))
        run_daily_sweep(as_of=AS_OF)

        record_exception(
            person=person,
            requirement=world.requirement,
            kind=ExceptionKind.EXTENSION,
            reason="Illness",
            until=AS_OF + timedelta(20),
            recorded_by=world.provider_manager.user,
            as_of=AS_OF,
        )

        assert open_kinds(person) == set()

    def test_a_rolled_back_event_leaves_the_flag_open(self, world):
        person = world.trainee(deadline=AS_OF - timedelta(1))
        run_daily_sweep(as_of=AS_OF)

        with pytest.raises(RuntimeError), transaction.atomic():
            record_exception(
                person=person,
                requirement=world.requirement,
                kind=ExceptionKind.EXEMPT,
                reason="Not needed",
                until=None,
                recorded_by=world.provider_manager.user,
                as_of=AS_OF,
            )
            raise RuntimeError("the request failed after the service")

        assert open_kinds(person) == {FlagKind.TRAINING}


class TestSupervisionEvents:
    def test_finalising_a_session_closes_the_escalated_flag_at_once(self, world):
        person = world.supervisee(due_on=AS_OF - timedelta(20))
        run_daily_sweep(as_of=AS_OF)
        assert Flag.objects.open().get(person=person).level == FlagLevel.ESCALATED
        session = create_session(
            supervisor=world.supervisor,
            supervisee_ids=[person.pk],
            details=SessionDetails(
                held_on=AS_OF, duration_minutes=60, format="one_to_one"
            ),
            as_of=AS_OF,
        )
        assert open_kinds(person) == {FlagKind.SUPERVISION}, "a draft changes nothing"

        finalise_session(session_id=session.pk, by=world.supervisor.user, as_of=AS_OF)

        assert open_kinds(person) == set()


class TestMessagesWaitForTheSweep:
    def test_a_flag_an_event_opens_is_told_once_at_the_next_sweep(self, world):
        person = world.trainee(deadline=AS_OF + timedelta(60))
        run_daily_sweep(as_of=AS_OF)
        assert not Flag.objects.filter(person=person).exists()
        before = Notification.objects.count()
        # A staff change (the start in role moved back) makes them overdue now.
        person.started_in_role = AS_OF - timedelta(5)
        person.save()
        sync_training_status(person_ids=[person.pk], as_of=AS_OF)

        flag = Flag.objects.open().get(person=person)
        assert flag.notified_level == ""
        assert Notification.objects.count() == before, "nothing sent mid-day"

        run_daily_sweep(as_of=AS_OF + timedelta(1))
        run_daily_sweep(as_of=AS_OF + timedelta(2))

        flag.refresh_from_db()
        assert flag.notified_level == FlagLevel.OVERDUE
        overdue = Notification.objects.filter(
            subject_person=person, kind="training_overdue"
        )
        assert sorted(overdue.values_list("recipient_id", flat=True)) == sorted(
            [person.user_id, world.supervisor.user_id]
        )

    def test_refreshing_one_kind_leaves_the_others_alone(self, world):
        person = world.supervisee(due_on=AS_OF - timedelta(1))
        sync_supervision_status(person_ids=[person.pk], as_of=AS_OF, announce=False)
        assert open_kinds(person) == set(), "the sweep's own syncs announce nothing"
        refresh_flags(person_ids=[person.pk], kinds=[FlagKind.TRAINING], as_of=AS_OF)
        assert open_kinds(person) == set()

        refresh_flags(person_ids=[person.pk], kinds=[FlagKind.SUPERVISION], as_of=AS_OF)
        assert open_kinds(person) == {FlagKind.SUPERVISION}


def test_every_flag_kind_has_a_source():
    assert set(FLAG_SOURCES) == set(FlagKind.values)
