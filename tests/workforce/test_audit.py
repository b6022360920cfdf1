"""The audit trail: each write service leaves an entry; nobody approves their own."""

from datetime import date

import pytest
from wagtail.log_actions import registry
from wagtail.models import ModelLogEntry

from accounts.roles import Role
from learning.rules import ExceptionKind
from learning.services import (
    InvalidException,
    InvalidExternalTraining,
    approve_external_training,
    record_exception,
    record_external_training,
    sync_training_status,
)
from tests.factories import JobRoleFactory, StaffProfileFactory, UserFactory
from tests.factories.learning import RequirementFactory
from workforce.audit import ACTIONS, record_audit

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 3, 15)


@pytest.fixture
def requirement():
    return RequirementFactory(job_roles=[JobRoleFactory(slug="social-worker")])


@pytest.fixture
def person(requirement):
    person = StaffProfileFactory(job_role=requirement.job_roles.first())
    sync_training_status(as_of=AS_OF)
    return person


def external(person, requirement, recorded_by):
    return record_external_training(
        person=person,
        module=requirement.module,
        title="Course",
        provider="Partnership",
        completed_on=date(2026, 3, 1),
        evidence=None,
        evidence_reference="REF-1",
        recorded_by=recorded_by,
        as_of=AS_OF,
    )


class TestAuditTrail:
    def test_every_action_is_registered_with_wagtail(self):
        for action, label, _ in ACTIONS:
            assert registry.action_exists(action), action
            assert registry.get_action_label(action) == label

    def test_an_unregistered_action_is_refused(self, person):
        with pytest.raises(ValueError, match="Unregistered"):
            record_audit(actor=None, action="sustain.nothing", instance=person)

    def test_an_exception_leaves_an_entry_without_its_reason(self, person, requirement):
        manager = UserFactory(roles=[Role.PROVIDER_MANAGER])
        exception = record_exception(
            person=person,
            requirement=requirement,
            kind=ExceptionKind.EXEMPT,
            reason="sickness",
            note="PRIVATE-NOTE",
            until=None,
            recorded_by=manager,
            as_of=AS_OF,
        )
        entry = ModelLogEntry.objects.get(action="sustain.exception.record")
        assert entry.user == manager
        assert entry.object_id == str(exception.pk)
        assert "sickness" not in str(entry.data) and "PRIVATE" not in str(entry.data)

    def test_external_training_recorded_and_approved_leave_entries(
        self, person, requirement
    ):
        recorder = UserFactory(roles=[Role.SUPERVISOR])
        approver = UserFactory(roles=[Role.PROVIDER_MANAGER])
        record = external(person, requirement, recorder)
        approve_external_training(record=record, approved_by=approver, as_of=AS_OF)
        entries = dict(
            ModelLogEntry.objects.filter(object_id=str(record.pk)).values_list(
                "action", "user_id"
            )
        )
        assert entries == {
            "sustain.external_training.record": recorder.pk,
            "sustain.external_training.approve": approver.pk,
        }


class TestNoSelfApproval:
    def test_nobody_approves_their_own_external_training(self, person, requirement):
        record = external(person, requirement, person.user)
        with pytest.raises(InvalidExternalTraining, match="your own"):
            approve_external_training(
                record=record, approved_by=person.user, as_of=AS_OF
            )
        record.refresh_from_db()
        assert record.approved_at is None
        assert not ModelLogEntry.objects.filter(
            action="sustain.external_training.approve"
        ).exists()

    def test_nobody_records_their_own_exception(self, person, requirement):
        with pytest.raises(InvalidException, match="yourself"):
            record_exception(
                person=person,
                requirement=requirement,
                kind=ExceptionKind.EXEMPT,
                reason="other",
                until=None,
                recorded_by=person.user,
                as_of=AS_OF,
            )

    def test_the_approve_button_on_ones_own_record_says_no_without_an_error_page(
        self, client, person, requirement
    ):
        from django.urls import reverse

        manager = StaffProfileFactory(
            user=UserFactory(roles=[Role.PROVIDER_MANAGER]),
            organisation=person.organisation,
            job_role=person.job_role,
        )
        record = external(manager, requirement, manager.user)
        client.force_login(manager.user)
        response = client.post(
            reverse("learning:approve_external", args=[record.pk]), follow=True
        )
        assert response.status_code == 200
        assert "You cannot approve your own external training." in (
            response.content.decode()
        )
