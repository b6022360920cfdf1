"""A manager records a social worker's registration from the person's page: the
service audits it; bad input shows beside its field and saves nothing; another
organisation's person and anyone but a manager are refused."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from wagtail.models import ModelLogEntry

from accounts.roles import Role
from workforce.dates import today

pytestmark = pytest.mark.django_db


def _client(person) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(person.user)
    return client


def _answers(**overrides: str) -> dict[str, str]:
    checked = today() - timedelta(days=3)
    return {
        "body": "swe",
        "number": "sw 123 456",
        "checked_on-day": str(checked.day),
        "checked_on-month": str(checked.month),
        "checked_on-year": str(checked.year),
        **overrides,
    }


@pytest.fixture
def people(make_person):  # type: ignore[no-untyped-def]
    manager = make_person(Role.PROVIDER_MANAGER)
    worker = make_person(Role.SUPERVISOR, organisation=manager.organisation)
    stranger = make_person(Role.SUPERVISOR)
    return manager, worker, stranger


class TestTheRegistrationPage:
    def test_a_manager_records_it_and_the_persons_page_shows_it(self, people):
        manager, worker, _ = people
        client = _client(manager)
        person_page = reverse("learning:person_training", args=[worker.pk])
        url = reverse("workforce:registration_edit", args=[worker.pk])
        assert url in client.get(person_page).content.decode()
        assert client.get(url).status_code == 200

        expires = today() + timedelta(days=200)
        response = client.post(
            url,
            _answers(
                **{
                    "expires_on-day": str(expires.day),
                    "expires_on-month": str(expires.month),
                    "expires_on-year": str(expires.year),
                }
            ),
        )
        assert response.status_code == 302
        worker.refresh_from_db()
        assert worker.registration_number == "SW123456"
        assert worker.registration_checked_on == today() - timedelta(days=3)
        assert worker.registration_expires_on == expires
        assert ModelLogEntry.objects.filter(
            action="sustain.registration.record", object_id=str(worker.pk)
        ).exists()
        assert "SW123456" in client.get(person_page).content.decode()

        # Clearing it is a choice too, and audited.
        client.post(url, {"body": "none"})
        worker.refresh_from_db()
        assert worker.registration_number == "" and worker.registration_body == ""
        assert worker.registration_expires_on is None
        assert (
            ModelLogEntry.objects.filter(
                action="sustain.registration.record", object_id=str(worker.pk)
            ).count()
            == 2
        )

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"number": ""}, "number", "Enter the registration number"),
            ({"number": "Jane Smith"}, "number", "like SW123456"),
            ({"checked_on-day": ""}, "checked_on", "must include a day"),
            ({"checked_on-year": str(today().year + 1)}, "checked_on", "today or"),
            ({"body": ""}, "body", "Select who the person is registered with"),
            ({"body": "gmc"}, "body", "from the list"),
            (
                {
                    "expires_on-day": "1",
                    "expires_on-month": "1",
                    "expires_on-year": str(today().year - 2),
                },
                "expires_on",
                "on or after the date you checked",
            ),
        ],
    )
    def test_bad_input_shows_beside_its_field_and_saves_nothing(
        self, people, overrides, field, message
    ):
        manager, worker, _ = people
        url = reverse("workforce:registration_edit", args=[worker.pk])
        response = _client(manager).post(url, _answers(**overrides))
        assert response.status_code == 400
        errors = response.context["form"].errors[field]
        assert any(message in error for error in errors), errors
        worker.refresh_from_db()
        assert worker.registration_number == ""
        assert not ModelLogEntry.objects.filter(
            action="sustain.registration.record"
        ).exists()

    def test_another_organisations_person_and_non_managers_are_refused(self, people):
        manager, worker, stranger = people
        url = reverse("workforce:registration_edit", args=[stranger.pk])
        assert _client(manager).post(url, _answers()).status_code == 404
        own = reverse("workforce:registration_edit", args=[worker.pk])
        assert _client(worker).post(own, _answers()).status_code == 403
        for person in (worker, stranger):
            person.refresh_from_db()
            assert person.registration_number == ""
