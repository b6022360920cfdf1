"""Retention, actions and the home panels."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.roles import Role
from supervision.models import (
    SessionAction,
    SessionAttendance,
    SessionVersion,
    SupervisionSession,
)
from supervision.services import (
    NotAllowed,
    complete_action,
    purge_expired_content,
    sync_supervision_status,
)
from supervision.tasks import purge_expired_content_task
from tests.factories.supervision import SupervisionSessionFactory

pytestmark = pytest.mark.django_db


def session_for(pair, **fields):
    supervisor, supervisee = pair
    session = SupervisionSessionFactory(
        supervisor=supervisor,
        feelings="private words",
        wellbeing_discussed=True,
        attendees=[supervisee],
        **fields,
    )
    SessionAttendance.objects.filter(session=session).update(
        impact_score=8, supervisee_reflection="my own words"
    )
    SessionVersion.objects.create(session=session, number=1, content="{}")
    return session


class TestRetention:
    def test_content_goes_after_the_retention_period_and_metadata_stays(
        self, pair, as_of
    ):
        _supervisor, supervisee = pair
        supervisee.organisation.supervision_retention_months = 12
        supervisee.organisation.save()
        supervisee.left_on = date(2025, 3, 15)
        supervisee.save()
        session = session_for(pair)

        assert purge_expired_content(as_of=as_of) == 1

        session = SupervisionSession.objects.get(pk=session.pk)
        attendance = session.attendances.get()
        assert session.feelings == "" and session.experience == ""
        assert attendance.impact_score is None
        assert attendance.supervisee_reflection == ""
        assert not session.versions.exists()
        assert (
            session.held_on,
            session.duration_minutes,
            session.wellbeing_discussed,
        ) == (
            date(2026, 3, 1),
            90,
            True,
        )
        assert purge_expired_content(as_of=as_of) == 0

    def test_content_stays_inside_the_period_and_for_people_in_post(self, pair, as_of):
        _, supervisee = pair
        supervisee.left_on = date(2025, 3, 16)  # 12 months ago tomorrow
        supervisee.save()
        supervisee.organisation.supervision_retention_months = 12
        supervisee.organisation.save()
        session = session_for(pair)

        assert purge_expired_content(as_of=as_of) == 0
        assert SupervisionSession.objects.get(pk=session.pk).feelings == "private words"

    def test_the_command_and_the_task_run_the_same_service(self, pair):
        _, supervisee = pair
        supervisee.left_on = date(2010, 1, 1)
        supervisee.save()
        session_for(pair)

        assert purge_expired_content_task(as_of="2026-03-15") == 1
        call_command("purge_supervision_content", "--as-of", "2026-03-15")


class TestActions:
    def test_someone_else_cannot_close_an_action(self, pair, make_person, as_of):
        supervisor, supervisee = pair
        session = SupervisionSessionFactory(
            supervisor=supervisor, attendees=[supervisee]
        )
        action = SessionAction.objects.create(
            session=session, owner=supervisee, description="Book leave", due_on=as_of
        )

        with pytest.raises(NotAllowed):
            complete_action(action_id=action.pk, by=make_person().user, as_of=as_of)
        complete_action(action_id=action.pk, by=supervisee.user, as_of=as_of)

        action.refresh_from_db()
        assert action.done_on == as_of


class TestHomePanels:
    def test_a_manager_sees_escalation_counts_and_never_names_content(
        self, client, pair, make_person, as_of
    ):
        supervisor, _supervisee = pair
        manager = make_person(
            Role.PROVIDER_MANAGER, organisation=supervisor.organisation
        )
        sync_supervision_status(as_of=as_of)
        client.force_login(manager.user)

        body = client.get(reverse("home:dashboard")).content.decode()

        assert "escalated twice" in body

    def test_an_overdue_supervisee_is_told_on_their_home_page(
        self, client, pair, as_of
    ):
        _, supervisee = pair
        sync_supervision_status(as_of=as_of)
        client.force_login(supervisee.user)

        body = client.get(reverse("home:dashboard")).content.decode()

        assert "Your supervision" in body and "Escalated twice" in body


def default_policy_form(policy, **changes: str) -> dict[str, str]:
    """The default policy's admin form, as seeded, with ``changes``."""
    return {
        "name": policy.name,
        "is_default": "on",
        "stages_follow": "started",
        "min_minutes": "60",
        "consolidation_interval_days": "28",
        "debrief_within_days": "2",
        "due_soon_days": "7",
        "first_escalation_days": "14",
        **changes,
    }


class TestPolicyAdmin:
    def test_a_platform_admin_edits_the_default_policy(self, client, make_person):
        from supervision.models import SupervisionPolicy

        client.force_login(make_person(Role.PLATFORM_ADMIN).user)
        policy = SupervisionPolicy.objects.get(is_default=True)

        response = client.post(
            reverse("supervision_policies:edit", args=[policy.pk]),
            default_policy_form(policy, due_soon_days="10"),
        )

        assert response.status_code == 302
        policy.refresh_from_db()
        assert policy.due_soon_days == 10

    def test_an_admin_lets_group_sessions_count_and_the_clock_follows_at_once(
        self, client, make_person, pair, as_of
    ):
        from supervision.models import SupervisionPolicy, SupervisionStatus

        supervisor, supervisee = pair
        SupervisionSessionFactory(
            supervisor=supervisor,
            held_on=as_of - timedelta(days=40),
            attendees=[supervisee],
        )
        SupervisionSessionFactory(
            supervisor=supervisor,
            held_on=as_of - timedelta(days=5),
            format="group",
            attendees=[supervisee],
        )
        sync_supervision_status(person_ids=[supervisee.pk], as_of=as_of)
        row = SupervisionStatus.objects.get(person=supervisee)
        assert row.anchor_on == as_of - timedelta(days=40)  # group: not by default
        client.force_login(make_person(Role.PLATFORM_ADMIN).user)
        policy = SupervisionPolicy.objects.get(is_default=True)

        response = client.post(
            reverse("supervision_policies:edit", args=[policy.pk]),
            default_policy_form(policy, min_minutes="45", counts_group="on"),
        )

        assert response.status_code == 302
        row.refresh_from_db()
        assert row.anchor_on == as_of - timedelta(days=5)

    @pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.PROVIDER_MANAGER])
    def test_other_roles_cannot_edit_policies(self, client, make_person, role):
        client.force_login(make_person(role).user)

        response = client.get(reverse("supervision_policies:index"))

        assert response.status_code in {302, 403}
