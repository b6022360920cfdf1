"""Passkey endpoints refuse what a browser would not send, with a 4xx, never a 500."""

import json

import pytest
from django.test import override_settings
from django.urls import reverse

from accounts.models import Passkey
from accounts.roles import Role
from tests.accounts.test_two_factor import enrol, sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _two_factor_on():
    with override_settings(TWO_FACTOR_REQUIRED=True):
        yield


@pytest.fixture
def admin(client):
    user = UserFactory(roles=[Role.PLATFORM_ADMIN])
    sign_in(client, user)
    return user


def test_a_password_alone_cannot_add_a_passkey_beside_an_authenticator(client, admin):
    enrol(client, admin)
    client.post(reverse("accounts:logout"))
    sign_in(client, admin)

    response = client.post(reverse("accounts:passkey_add"), {"step": "options"})

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:two_factor_verify"))
    assert not Passkey.objects.exists()


def test_registration_options_name_this_site_and_exclude_nothing_yet(client, admin):
    response = client.post(reverse("accounts:passkey_add"), {"step": "options"})

    options = json.loads(response.content)
    assert options["rp"] == {"id": "127.0.0.1", "name": "Sustain"}
    assert options["excludeCredentials"] == []
    assert options["challenge"]


@pytest.mark.parametrize(
    "answer",
    ["", "not json", "[]", json.dumps({"id": "x", "rawId": "!!", "response": {}})],
)
def test_a_malformed_registration_answer_is_a_400_and_stores_nothing(
    client, admin, answer
):
    client.post(reverse("accounts:passkey_add"), {"step": "options"})

    response = client.post(reverse("accounts:passkey_add"), {"response": answer})

    assert response.status_code == 400
    assert response.json()["detail"]
    assert not Passkey.objects.exists()


def test_an_answer_without_a_challenge_first_is_refused(client, admin):
    response = client.post(
        reverse("accounts:passkey_sign_in"),
        {"response": json.dumps({"rawId": "AAAA", "response": {}})},
    )

    assert response.status_code == 400
    assert "Start again" in response.json()["detail"]
    assert client.get(reverse("home:dashboard")).status_code == 302


def test_an_admin_reset_removes_passkeys_too(client, admin):
    from django.core.management import call_command
    from django.utils import timezone

    Passkey.objects.create(
        user=admin,
        name="Lost laptop",
        credential_id=b"lost",
        public_key=b"key",
        created_at=timezone.now(),
    )

    call_command("reset_two_factor", admin.email, by="admin-ops")

    assert not Passkey.objects.filter(user=admin).exists()
    assert client.get(reverse("home:dashboard")).url.startswith(
        reverse("accounts:two_factor_setup")
    )
