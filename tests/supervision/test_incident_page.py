"""A supervisor or manager records a critical incident from the worker's page, by
case reference only; the debrief falls due and shows as held once one is; an
attacker's ids and a child's name are refused."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from wagtail.models import ModelLogEntry

from accounts.roles import Role
from supervision.models import CriticalIncident, SupervisionSession
from supervision.rules import add_working_days
from tests.factories.supervision import SupervisionSessionFactory
from workforce.dates import today

pytestmark = pytest.mark.django_db


def _client(person) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(person.user)
    return client


def _answers(**overrides: str) -> dict[str, str]:
    day = today() - timedelta(days=1)
    return {
        "kind": "disclosure",
        "case_reference": "c-1042",
        "occurred_on-day": str(day.day),
        "occurred_on-month": str(day.month),
        "occurred_on-year": str(day.year),
        **overrides,
    }


class TestTheIncidentPage:
    def test_the_supervisor_records_one_and_sees_the_debrief_due(self, pair):
        supervisor, supervisee = pair
        client = _client(supervisor)
        url = reverse("supervision:incidents", args=[supervisee.pk])
        person_page = reverse("learning:person_training", args=[supervisee.pk])
        assert url in client.get(person_page).content.decode()
        assert client.get(url).status_code == 200

        assert client.post(url, _answers()).status_code == 302
        incident = CriticalIncident.objects.get()
        assert incident.case_reference == "C-1042"
        assert incident.debrief_due_on == add_working_days(
            today() - timedelta(days=1), 2
        )
        assert ModelLogEntry.objects.filter(
            action="sustain.incident.record", object_id=str(incident.pk)
        ).exists()
        page = client.get(url).content.decode()
        assert "C-1042" in page and "Due by" in page

        SupervisionSessionFactory(
            supervisor=supervisor,
            held_on=today(),
            format=SupervisionSession.Format.DEBRIEF,
            attendees=[supervisee],
        )
        assert "Held " in client.get(url).content.decode()

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"case_reference": "Jane Smith"}, "case_reference", "child's name"),
            ({"case_reference": ""}, "case_reference", "Enter the case reference"),
            ({"kind": ""}, "kind", "Select what kind"),
            ({"occurred_on-month": "13"}, "occurred_on", "real date"),
            (
                {"occurred_on-year": str(today().year + 1)},
                "occurred_on",
                "today or earlier",
            ),
        ],
    )
    def test_bad_input_shows_beside_its_field_and_saves_nothing(
        self, pair, overrides, field, message
    ):
        supervisor, supervisee = pair
        url = reverse("supervision:incidents", args=[supervisee.pk])
        response = _client(supervisor).post(url, _answers(**overrides))
        assert response.status_code == 400
        errors = response.context["form"].errors[field]
        assert any(message in error for error in errors), errors
        assert not CriticalIncident.objects.exists()

    def test_a_manager_records_one_for_someone_in_their_organisation(
        self, pair, make_person
    ):
        _, supervisee = pair
        manager = make_person(
            Role.PROVIDER_MANAGER, organisation=supervisee.organisation
        )
        url = reverse("supervision:incidents", args=[supervisee.pk])
        assert _client(manager).post(url, _answers()).status_code == 302
        assert CriticalIncident.objects.get().recorded_by == manager.user

    def test_attackers_are_refused(self, pair, make_person):
        supervisor, supervisee = pair
        stranger = make_person(Role.PRACTITIONER)
        other_manager = make_person(Role.PROVIDER_MANAGER)
        colleague = make_person(
            Role.SUPERVISOR, Role.PRACTITIONER, organisation=supervisor.organisation
        )
        # Someone in another organisation, a manager elsewhere, a supervisor who
        # is not theirs, and the worker themself.
        cases = [
            (supervisor, stranger, 404),
            (other_manager, supervisee, 404),
            (colleague, supervisee, 404),
            (supervisee, supervisee, 403),
        ]
        for user_of, person, status in cases:
            url = reverse("supervision:incidents", args=[person.pk])
            assert _client(user_of).post(url, _answers()).status_code == status
        assert not CriticalIncident.objects.exists()
