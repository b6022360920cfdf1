"""A provider manager reads, on a person's page, who did what to that person's
records and when: newest first, paginated, never content, and only for people in
their own organisation."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from accounts.roles import Role
from home.audit_trail import ABOUT, entries_about
from learning.rules import ExceptionKind
from learning.services import record_exception, sync_training_status
from supervision import sealed_notes, services
from supervision.models import SupervisionSession
from tests.factories import JobRoleFactory
from tests.factories.learning import RequirementFactory
from tests.factories.supervision import SupervisionSessionFactory
from workforce.audit import record_audit

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 3, 15)


@pytest.fixture
def world(make_person):
    requirement = RequirementFactory(job_roles=[JobRoleFactory(slug="social-worker")])
    supervisor = make_person(Role.SUPERVISOR, Role.PRACTITIONER)
    org = supervisor.organisation
    person = make_person(
        Role.PRACTITIONER,
        organisation=org,
        supervisor=supervisor,
        job_role=requirement.job_roles.first(),
    )
    bystander = make_person(
        Role.PRACTITIONER, organisation=org, job_role=requirement.job_roles.first()
    )
    manager = make_person(Role.PROVIDER_MANAGER, organisation=org)
    sync_training_status(as_of=AS_OF)
    for who in (person, bystander):
        record_exception(
            person=who,
            requirement=requirement,
            kind=ExceptionKind.EXEMPT,
            reason="sickness",
            note=f"EXC-NOTE-{who.pk}",
            until=None,
            recorded_by=manager.user,
            as_of=AS_OF,
        )
    session = SupervisionSessionFactory(
        supervisor=supervisor,
        state=SupervisionSession.State.DRAFT,
        attendees=[person],
        feelings="FEELINGS-CONTENT",
    )
    services.finalise_session(session_id=session.pk, by=supervisor.user, as_of=AS_OF)
    sealed_notes.write_sealed_note(
        by=supervisor.user, supervisee_id=person.pk, text="SEALED-CONTENT"
    )
    return {
        "person": person,
        "bystander": bystander,
        "supervisor": supervisor,
        "manager": manager,
    }


def person_page(client, viewer, person, **params):
    client.force_login(viewer.user)
    return client.get(
        reverse("learning:person_training", args=[person.pk]), params or None
    )


class TestManagerSeesTheAuditTrail:
    def test_who_did_what_to_the_person_s_records_newest_first(self, client, world):
        response = person_page(client, world["manager"], world["person"])
        assert response.status_code == 200
        audit = response.context["audit"]
        assert [entry.action for entry in audit.rows] == [
            "sustain.session.finalise",
            "sustain.exception.record",
        ]
        text = response.content.decode()
        assert "Audit trail" in text
        assert "Finalised" in text and "Exception recorded" in text
        assert world["supervisor"].full_name in text

    def test_it_never_shows_content_a_sealed_note_or_someone_else_s_entries(
        self, client, world
    ):
        response = person_page(client, world["manager"], world["person"])
        text = response.content.decode()
        for secret in ("FEELINGS-CONTENT", "SEALED-CONTENT", "sickness"):
            assert secret not in text
        assert "Sealed note" not in text  # not even that one is kept
        actions = {entry.action for entry in response.context["audit"].rows}
        assert not any(action.startswith("sustain.sealed_note") for action in actions)
        bystander_note = f"EXC-NOTE-{world['bystander'].pk}"
        assert bystander_note not in text
        assert len(response.context["audit"].rows) == 2  # the bystander's is not here

    def test_it_is_paginated_twenty_to_a_page(self, client, world):
        person = world["person"]
        start = timezone.now() - timedelta(days=30)
        for day in range(25):
            entry = record_audit(
                actor=world["manager"].user,
                action="sustain.registration.record",
                instance=person,
            )
            ModelLogEntry.objects.filter(pk=entry.pk).update(
                timestamp=start + timedelta(days=day)
            )
        first = person_page(client, world["manager"], person)
        audit = first.context["audit"]
        assert audit.total == 27 and len(audit.rows) == 20
        assert "audit_page=2" in audit.next_url
        stamps = [entry.timestamp for entry in audit.rows]
        assert stamps == sorted(stamps, reverse=True)
        second = person_page(client, world["manager"], person, audit_page="2")
        rows = second.context["audit"].rows
        assert len(rows) == 7
        assert rows[-1].timestamp == start  # the oldest, last
        # A hostile page number gives a real page, not an error.
        assert (
            person_page(client, world["manager"], person, audit_page="x").status_code
            == 200
        )


class TestOthersDoNot:
    def test_another_organisation_s_person_is_a_404(self, client, world, make_person):
        outsider = make_person(Role.PRACTITIONER)  # another organisation
        record_audit(
            actor=None, action="sustain.registration.record", instance=outsider
        )
        response = person_page(client, world["manager"], outsider)
        assert response.status_code == 404

    def test_a_supervisor_sees_their_supervisee_s_page_without_the_audit_trail(
        self, client, world
    ):
        response = person_page(client, world["supervisor"], world["person"])
        assert response.status_code == 200
        assert response.context["audit"] is None
        assert "Audit trail" not in response.content.decode()

    def test_a_manager_who_supervises_someone_elsewhere_does_not_see_their_trail(
        self, client, world, make_person
    ):
        manager = make_person(Role.PROVIDER_MANAGER, Role.SUPERVISOR)
        elsewhere = make_person(Role.PRACTITIONER, supervisor=manager)
        assert elsewhere.organisation_id != manager.organisation_id
        response = person_page(client, manager, elsewhere)
        assert response.status_code == 200
        assert response.context["audit"] is None

    def test_the_person_does_not_see_it_on_their_own_page(self, client, world):
        response = person_page(client, world["person"], world["person"])
        assert response.context["audit"] is None


class TestRegistry:
    def test_every_model_named_resolves_to_a_person(self, world):
        # A typo in a path would fail here, not on a manager's page.
        assert entries_about(world["person"]).count() >= 2
        assert "supervision.SealedNote" not in ABOUT
