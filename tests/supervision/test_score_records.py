"""The pseudonymised check-in score records: what they hold, and kept in step."""

from datetime import date

import pytest
from django.core.management import call_command
from django.db import models

from supervision.models import CheckInScoreRecord, SessionAttendance
from supervision.pseudonyms import respondent_key, source_key
from supervision.services import (
    SessionDetails,
    cancel_session,
    create_session,
    finalise_session,
    purge_expired_content,
    record_check_in,
    store_check_in_scores,
    update_session,
)
from tests.factories import TeamFactory
from tests.factories.supervision import SupervisionSessionFactory

pytestmark = pytest.mark.django_db


def draft(pair, as_of, held_on=date(2026, 3, 2)):
    supervisor, supervisee = pair
    return create_session(
        supervisor=supervisor,
        supervisee_ids=[supervisee.pk],
        details=SessionDetails(held_on=held_on, duration_minutes=60, format="group"),
        as_of=as_of,
    )


def check_in(pair, session, *scores):
    supervisor, supervisee = pair
    impact, switching_off, support, workload = scores
    return record_check_in(
        session_id=session.pk,
        person_id=supervisee.pk,
        impact=impact,
        switching_off=switching_off,
        support=support,
        workload=workload,
        support_offered=[],
        caseload=None,
        by=supervisor.user,
        # The session's own month, still open: a closed month is never changed.
        as_of=session.held_on,
    )


def scores_of(record):
    return (record.impact, record.switching_off, record.support, record.workload)


class TestWhatARecordHolds:
    def test_no_link_to_a_person_session_or_check_in_and_no_text(self):
        fields = {f.name: f for f in CheckInScoreRecord._meta.get_fields()}

        assert set(fields) == {
            "id",
            "organisation",
            "team",
            "month",
            "impact",
            "switching_off",
            "support",
            "workload",
            "support_prompt",
            "respondent_key",
            "source_key",
        }
        linked = {f.related_model._meta.label for f in fields.values() if f.is_relation}
        assert linked == {"workforce.Organisation", "workforce.Team"}
        for name in ("impact", "switching_off", "support", "workload"):
            assert isinstance(fields[name], models.PositiveSmallIntegerField)
        text = [f.name for f in fields.values() if isinstance(f, models.TextField)]
        assert text == []
        chars = {
            f.name: f.max_length
            for f in fields.values()
            if isinstance(f, models.CharField)
        }
        assert chars == {"respondent_key": 64, "source_key": 64}

    def test_keys_are_keyed_hashes_not_ids(self, pair, as_of):
        _, supervisee = pair
        session = draft(pair, as_of)
        attendance = check_in(pair, session, 8, 4, 6, 5)
        finalise_session(session_id=session.pk, by=pair[0].user, as_of=as_of)

        record = CheckInScoreRecord.objects.get()
        assert record.respondent_key == respondent_key(supervisee.pk)
        assert record.source_key == source_key(attendance.pk)
        assert len(record.respondent_key) == 64
        assert int(record.respondent_key, 16) >= 0  # hex
        assert record.respondent_key != source_key(supervisee.pk)
        assert str(supervisee.pk) != record.respondent_key


class TestKeptInStep:
    def test_a_draft_check_in_counts_only_once_the_session_is_finalised(
        self, pair, as_of
    ):
        supervisor, supervisee = pair
        session = draft(pair, as_of)
        check_in(pair, session, 8, 4, 6, 5)
        assert not CheckInScoreRecord.objects.exists()

        finalise_session(session_id=session.pk, by=supervisor.user, as_of=as_of)

        record = CheckInScoreRecord.objects.get()
        assert scores_of(record) == (8, 4, 6, 5)
        assert record.support_prompt is True  # impact 8
        assert record.month == date(2026, 3, 1)
        assert (record.organisation_id, record.team_id) == (
            supervisee.organisation_id,
            supervisee.team_id,
        )

    def test_editing_a_finalised_check_in_updates_its_record_in_place(
        self, pair, as_of
    ):
        supervisor, supervisee = pair
        session = draft(pair, as_of)
        check_in(pair, session, 8, 4, 6, 5)
        finalise_session(session_id=session.pk, by=supervisor.user, as_of=as_of)
        first = CheckInScoreRecord.objects.get()
        old_team = supervisee.team_id
        supervisee.team = TeamFactory(organisation=supervisee.organisation)
        supervisee.save()

        check_in(pair, session, 2, None, 9, 7)

        record = CheckInScoreRecord.objects.get()
        assert record.pk == first.pk
        assert scores_of(record) == (2, None, 9, 7)
        assert record.support_prompt is False
        assert record.team_id == old_team  # kept where it was given

    def test_clearing_every_answer_removes_the_record(self, pair, as_of):
        session = draft(pair, as_of)
        check_in(pair, session, 8, 4, 6, 5)
        finalise_session(session_id=session.pk, by=pair[0].user, as_of=as_of)

        check_in(pair, session, None, None, None, None)

        assert not CheckInScoreRecord.objects.exists()

    def test_moving_the_session_into_a_closed_month_drops_the_record(self, pair, as_of):
        supervisor, _ = pair
        session = draft(pair, as_of)
        check_in(pair, session, 8, 4, 6, 5)
        session = finalise_session(
            session_id=session.pk, by=supervisor.user, as_of=as_of
        )

        update_session(
            session_id=session.pk,
            expected_version=session.version,
            details=SessionDetails(
                held_on=date(2026, 2, 27), duration_minutes=60, format="group"
            ),
            by=supervisor.user,
            as_of=as_of,
        )

        # February has closed: published figures never change, so it gains nothing.
        assert not CheckInScoreRecord.objects.exists()

    def test_cancelling_removes_the_record(self, pair, as_of):
        supervisor, _ = pair
        session = draft(pair, as_of)
        check_in(pair, session, 8, 4, 6, 5)
        finalise_session(session_id=session.pk, by=supervisor.user, as_of=as_of)

        cancel_session(
            session_id=session.pk, reason="Held twice", by=supervisor.user, as_of=as_of
        )

        assert not CheckInScoreRecord.objects.exists()

    def test_the_retention_purge_leaves_the_records_for_statistics(self, pair, as_of):
        supervisor, supervisee = pair
        session = draft(pair, as_of, held_on=date(2024, 3, 1))
        check_in(pair, session, 8, 4, 6, 5)
        finalise_session(
            session_id=session.pk, by=supervisor.user, as_of=date(2024, 3, 20)
        )
        supervisee.left_on = date(2024, 6, 1)
        supervisee.save()
        supervisee.organisation.supervision_retention_months = 12
        supervisee.organisation.save()

        assert purge_expired_content(as_of=as_of) == 1
        assert store_check_in_scores(session_ids=[session.pk]) == 0

        assert scores_of(CheckInScoreRecord.objects.get()) == (8, 4, 6, 5)


class TestBackfill:
    def test_writes_records_for_existing_check_ins_once(self, pair, as_of):
        supervisor, supervisee = pair
        counted = SupervisionSessionFactory(
            supervisor=supervisor, attendees=[supervisee]
        )
        drafted = SupervisionSessionFactory(
            supervisor=supervisor, attendees=[supervisee], state="draft"
        )
        SessionAttendance.objects.filter(session__in=[counted, drafted]).update(
            impact_score=3, workload_score=2, support_prompt=True
        )

        call_command("backfill_check_in_scores")
        call_command("backfill_check_in_scores")

        record = CheckInScoreRecord.objects.get()
        assert scores_of(record) == (3, None, None, 2)
        assert record.support_prompt is True

    def test_rebuild_replaces_every_record(self, pair, as_of):
        supervisor, supervisee = pair
        session = SupervisionSessionFactory(
            supervisor=supervisor, attendees=[supervisee]
        )
        SessionAttendance.objects.filter(session=session).update(impact_score=3)
        call_command("backfill_check_in_scores")
        CheckInScoreRecord.objects.update(source_key="0" * 64)  # an old key

        call_command("backfill_check_in_scores", rebuild=True)

        assert list(
            CheckInScoreRecord.objects.values_list("source_key", flat=True)
        ) == [source_key(session.attendances.get().pk)]


class TestRetention:
    def test_records_older_than_the_setting_are_purged_by_the_nightly_job(
        self, settings, as_of
    ):
        from supervision.tasks import purge_expired_content_task
        from tests.factories.workforce import OrganisationFactory

        settings.CHECK_IN_SCORE_RETENTION_MONTHS = 72
        organisation = OrganisationFactory()
        for n, month in enumerate([date(2020, 2, 1), date(2020, 3, 1)]):
            CheckInScoreRecord.objects.create(
                organisation=organisation,
                month=month,
                impact=5,
                respondent_key=f"r{n}",
                source_key=f"s{n}",
            )

        purge_expired_content_task.apply(kwargs={"as_of": as_of.isoformat()})

        # 72 months before March 2026 is March 2020: February 2020 goes.
        assert list(CheckInScoreRecord.objects.values_list("month", flat=True)) == [
            date(2020, 3, 1)
        ]
