"""Each listed action leaves one audit entry, the Wagtail admin's writes included,
and no entry holds confidential text."""

from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from wagtail.models import ModelLogEntry

from accounts.roles import Role
from supervision import services
from supervision.models import SupervisionSession
from tests.factories import StaffProfileFactory, UserFactory
from tests.factories.supervision import SupervisionSessionFactory

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 3, 15)


def entries(action: str):
    return ModelLogEntry.objects.filter(action=action)


@pytest.fixture
def session(pair):
    supervisor, supervisee = pair
    return SupervisionSessionFactory(
        supervisor=supervisor,
        state=SupervisionSession.State.DRAFT,
        attendees=[supervisee],
        feelings="CONFIDENTIAL-FEELINGS",
    )


@pytest.fixture
def pair(make_person):
    supervisor = make_person(Role.SUPERVISOR, Role.PRACTITIONER)
    supervisee = make_person(
        Role.PRACTITIONER,
        organisation=supervisor.organisation,
        supervisor=supervisor,
    )
    return supervisor, supervisee


class TestSessions:
    def test_finalise_and_sign_off_each_leave_an_entry(self, session, pair):
        supervisor, supervisee = pair
        services.finalise_session(
            session_id=session.pk, by=supervisor.user, as_of=AS_OF
        )
        services.acknowledge_session(session_id=session.pk, by=supervisee.user)
        services.acknowledge_session(session_id=session.pk, by=supervisee.user)
        services.record_disagreement(
            session_id=session.pk, text="CONFIDENTIAL-WHY", by=supervisee.user
        )

        finalised = entries("sustain.session.finalise").get()
        assert (finalised.user, finalised.object_id) == (
            supervisor.user,
            str(session.pk),
        )
        signed = entries("sustain.session.acknowledge").get()  # once, not twice
        assert signed.user == supervisee.user
        assert entries("sustain.session.disagree").get().user == supervisee.user
        for entry in ModelLogEntry.objects.all():
            assert "CONFIDENTIAL" not in str(entry.data)

    def test_a_cancellation_is_logged_without_its_reason(self, session, pair):
        supervisor, _ = pair
        services.cancel_session(
            session_id=session.pk,
            reason="CONFIDENTIAL sick leave",
            by=supervisor.user,
            as_of=AS_OF,
        )
        entry = entries("sustain.session.cancel").get()
        assert entry.user == supervisor.user
        assert "CONFIDENTIAL" not in str(entry.data)


def staff_form(client, person) -> tuple[str, dict]:
    """The admin's edit form for ``person`` as it stands: its URL and its data."""
    url = reverse("staff:edit", args=[person.pk])
    form = client.get(url).context["form"]
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name in form.fields
    }
    for name in ("user", "organisation", "team", "job_role"):
        value = getattr(person, f"{name}_id")
        data[name] = value if value is not None else ""
    data["started_in_role"] = person.started_in_role.isoformat()
    return url, data


class TestAdminWrites:
    def test_a_supervisor_and_line_manager_change_in_the_admin_is_logged(self, client):
        admin = UserFactory(roles=[Role.PLATFORM_ADMIN])
        person = StaffProfileFactory()
        new_supervisor = StaffProfileFactory(organisation=person.organisation)
        client.force_login(admin)
        url, data = staff_form(client, person)
        data.update(supervisor=new_supervisor.pk, line_manager=new_supervisor.pk)

        response = client.post(url, data)

        assert response.status_code == 302, response.content.decode()[:3000]
        entry = entries("sustain.staff.supervisor").get()
        assert entry.user == admin and entry.object_id == str(person.pk)
        assert entry.data["to"] == new_supervisor.pk
        assert entries("sustain.staff.line_manager").get().user == admin

    def test_marking_a_foster_carer_in_the_admin_is_logged(self, client):
        admin = UserFactory(roles=[Role.PLATFORM_ADMIN])
        person = StaffProfileFactory()
        client.force_login(admin)
        url, data = staff_form(client, person)
        data["kind"] = "foster_carer"

        response = client.post(url, data)

        assert response.status_code == 302, response.content.decode()[:3000]
        person.refresh_from_db()
        assert person.is_foster_carer
        entry = entries("sustain.staff.kind").get()
        assert entry.user == admin and entry.object_id == str(person.pk)
        assert (entry.data["from"], entry.data["to"]) == ("staff", "foster_carer")

    def test_a_role_change_in_the_admin_is_logged(self, client):
        admin = UserFactory(roles=[Role.PLATFORM_ADMIN], is_superuser=True)
        person = UserFactory(roles=[Role.PRACTITIONER])
        supervisor_group = Group.objects.get(name=Role.SUPERVISOR.value)
        client.force_login(admin)
        url = reverse("wagtailusers_users:edit", args=[person.pk])
        client.get(url)

        response = client.post(
            url,
            {
                "username": person.username,
                "email": person.email,
                "first_name": person.first_name or "A",
                "last_name": person.last_name or "B",
                "is_active": "on",
                "groups": [g.pk for g in person.groups.all()] + [supervisor_group.pk],
            },
        )

        assert response.status_code == 302, response.content.decode()[:3000]
        entry = entries("sustain.user.roles").get()
        assert entry.user == admin and entry.object_id == str(person.pk)
        assert entry.data["added"] == [Role.SUPERVISOR.value]


class TestKeyRotation:
    def test_rotating_the_keys_is_logged(self, settings):
        from cryptography.fernet import Fernet

        settings.FIELD_ENCRYPTION_KEYS = [
            Fernet.generate_key().decode(),
            *settings.FIELD_ENCRYPTION_KEYS,
        ]
        call_command("rotate_keys")
        assert entries("sustain.keys.rotate").count() == 1
