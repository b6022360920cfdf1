"""Workforce records in the Wagtail admin: platform admins manage them, no one else."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from tests.factories import StaffProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return UserFactory(roles=[Role.PLATFORM_ADMIN])


class TestWorkforceAdmin:
    def test_a_platform_admin_lists_and_searches_staff(self, client, admin_user):
        StaffProfileFactory(user=UserFactory(first_name="Nia", last_name="Rees"))
        StaffProfileFactory(user=UserFactory(first_name="Omar", last_name="Farah"))
        client.force_login(admin_user)

        response = client.get(reverse("staff:index"), {"q": "Rees"})

        assert response.status_code == 200
        body = response.content.decode()
        assert "Nia Rees" in body and "Omar Farah" not in body

    def test_a_platform_admin_adds_a_job_role(self, client, admin_user):
        client.force_login(admin_user)

        response = client.post(
            reverse("job_roles:add"),
            {
                "name": "Youth justice worker",
                "slug": "youth-justice-worker",
                "is_frontline": "on",
            },
        )

        assert response.status_code == 302

    @pytest.mark.parametrize("role", [Role.CONTENT_EDITOR])
    def test_a_content_editor_reaches_the_admin_but_not_the_staff_records(
        self, client, role
    ):
        client.force_login(UserFactory(roles=[role]))

        assert client.get(reverse("wagtailadmin_home")).status_code == 200
        assert client.get(reverse("staff:index")).status_code in {302, 403}

    @pytest.mark.parametrize(
        "role",
        [Role.PRACTITIONER, Role.SUPERVISOR, Role.PROVIDER_MANAGER, Role.COMMISSIONER],
    )
    def test_other_roles_cannot_open_the_admin(self, client, role):
        client.force_login(UserFactory(roles=[role]))

        response = client.get(reverse("staff:index"))

        # Signed in without admin rights: the styled "no access" page, not a sign-in.
        assert response.status_code == 403
        assert "You do not have access" in response.content.decode()
        assert client.get(reverse("wagtailadmin_home")).status_code == 403


class TestAdminEditsGoThroughTheServices:
    def _form(self, person, **changes):
        data = {
            "user": person.user_id,
            "organisation": person.organisation_id,
            "team": person.team_id or "",
            "job_role": person.job_role_id,
            "kind": person.kind,
            "started_in_role": person.started_in_role.isoformat(),
            "qualified_on": "",
            "fte": "1.0",
            "supervisor": "",
            "line_manager": "",
            "left_on": "",
            "long_term_absence_from": "",
        }
        data.update(changes)
        return data

    def test_editing_a_job_role_re_syncs_training_rows_in_the_same_request(
        self, client, admin_user
    ):
        from learning.models import TrainingStatus
        from tests.factories import JobRoleFactory
        from tests.factories.learning import RequirementFactory

        old_role, new_role = JobRoleFactory(), JobRoleFactory()
        old_req = RequirementFactory(job_roles=[old_role])
        new_req = RequirementFactory(job_roles=[new_role])
        person = StaffProfileFactory(job_role=old_role)
        from learning.services import sync_training_status
        from workforce.dates import today

        sync_training_status(person_ids=[person.pk], as_of=today())
        assert set(
            TrainingStatus.objects.filter(person=person).values_list(
                "requirement_id", flat=True
            )
        ) == {old_req.pk}
        client.force_login(admin_user)

        response = client.post(
            reverse("staff:edit", args=[person.pk]),
            self._form(person, job_role=new_role.pk),
        )

        assert response.status_code == 302, response.content.decode()[:2000]
        assert set(
            TrainingStatus.objects.filter(person=person).values_list(
                "requirement_id", flat=True
            )
        ) == {new_req.pk}

    def test_editing_a_policy_re_syncs_the_people_it_covers(self, client, admin_user):
        from supervision.models import SupervisionStatus
        from supervision.services import sync_supervision_status
        from tests.factories import JobRoleFactory
        from tests.factories.supervision import (
            PolicyStageFactory,
            SupervisionPolicyFactory,
        )
        from workforce.dates import today

        role = JobRoleFactory()
        policy = SupervisionPolicyFactory(job_role=role, first_escalation_days=14)
        PolicyStageFactory(policy=policy, interval_days=28)
        person = StaffProfileFactory(job_role=role)
        sync_supervision_status(person_ids=[person.pk], as_of=today())
        before = SupervisionStatus.objects.get(person=person).escalate_on
        client.force_login(admin_user)

        response = client.post(
            reverse("supervision_policies:edit", args=[policy.pk]),
            {
                "name": policy.name,
                "job_role": role.pk,
                "stages_follow": policy.stages_follow,
                "min_minutes": policy.min_minutes,
                "consolidation_interval_days": policy.consolidation_interval_days,
                "debrief_within_days": policy.debrief_within_days,
                "due_soon_days": policy.due_soon_days,
                "first_escalation_days": 21,
            },
        )

        assert response.status_code == 302, response.content.decode()[:2000]
        after = SupervisionStatus.objects.get(person=person).escalate_on
        assert (after - before).days == 7


class TestQuietStartInTheAdmin:
    """An organisation's quiet start, set in the admin, goes through the service."""

    def _form(self, org, quiet_start_from=""):
        return {
            "name": org.name,
            "slug": org.slug,
            "is_provider": "on",
            "supervision_retention_months": org.supervision_retention_months,
            "quiet_start_from": quiet_start_from,
        }

    def _entries(self, org):
        from wagtail.models import ModelLogEntry

        return ModelLogEntry.objects.filter(
            action="sustain.roster.quiet_start", object_id=str(org.pk)
        ).order_by("pk")

    def test_setting_changing_and_clearing_it_is_audited_each_time(
        self, client, admin_user
    ):
        from tests.factories import OrganisationFactory

        org = OrganisationFactory(name="Harbourside Care", slug="harbourside")
        client.force_login(admin_user)
        url = reverse("organisations:edit", args=[org.pk])

        for day in ("2026-12-07", "2026-12-07", "2026-12-14", ""):
            response = client.post(url, self._form(org, day))
            assert response.status_code == 302, response.content.decode()[:2000]

        org.refresh_from_db()
        assert org.quiet_start_from is None
        # The repeat of the same date changed nothing, so it left no entry.
        assert [
            (e.user_id, e.data["from"], e.data["to"]) for e in self._entries(org)
        ] == [
            (admin_user.pk, None, "2026-12-07"),
            (admin_user.pk, "2026-12-07", "2026-12-14"),
            (admin_user.pk, "2026-12-14", None),
        ]

    def test_a_new_organisation_with_a_quiet_start_is_audited(self, client, admin_user):
        from workforce.models import Organisation

        client.force_login(admin_user)

        response = client.post(
            reverse("organisations:add"),
            {
                "name": "New Start Fostering",
                "slug": "new-start",
                "is_provider": "on",
                "supervision_retention_months": 72,
                "quiet_start_from": "2026-12-07",
            },
        )

        assert response.status_code == 302, response.content.decode()[:2000]
        org = Organisation.objects.get(slug="new-start")
        assert org.quiet_start_from.isoformat() == "2026-12-07"
        assert self._entries(org).get().user_id == admin_user.pk

    def test_the_sweep_that_honours_it_ends_it_and_says_so(self, admin_user):
        from datetime import date

        from wagtail.models import ModelLogEntry

        from notifications.sweep import run_daily_sweep
        from tests.factories import OrganisationFactory

        org = OrganisationFactory(quiet_start_from=date(2026, 12, 7))

        run_daily_sweep(as_of=date(2026, 12, 7))

        org.refresh_from_db()
        assert org.quiet_start_from is None
        entry = ModelLogEntry.objects.get(
            action="sustain.organisation.quiet_start_end", object_id=str(org.pk)
        )
        assert entry.user is None
