"""Two-factor authentication: each privileged role is stopped until it verifies."""

import re
import time
from base64 import b32decode

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.roles import Role
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
PASSWORD = "correct horse battery staple"
PRIVILEGED = [
    Role.SUPERVISOR,
    Role.PROVIDER_MANAGER,
    Role.COMMISSIONER,
    Role.CONTENT_EDITOR,
    Role.PLATFORM_ADMIN,
]


@pytest.fixture(autouse=True)
def _two_factor_on():
    with override_settings(TWO_FACTOR_REQUIRED=True):
        yield


def sign_in(client, user):
    response = client.post(
        reverse("accounts:login"), {"username": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302, "the password step itself must pass"
    return response


def code_for(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, drift=offset):06d}"


def enrol(client, user) -> TOTPDevice:
    """Go through the set-up page as the person would; return their device."""
    page = client.get(reverse("accounts:two_factor_setup"))
    assert page.status_code == 200
    key = re.search(r'data-testid="setup-key">([A-Z2-7 ]+)<', page.content.decode())
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    # The key shown for manual entry is the device's key.
    typed = key.group(1).replace(" ", "")
    assert b32decode(typed + "=" * (-len(typed) % 8)) == device.bin_key
    done = client.post(reverse("accounts:two_factor_setup"), {"code": code_for(device)})
    assert done.status_code == 200
    assert "backup codes" in done.content.decode()
    device.refresh_from_db()
    return device


@pytest.mark.parametrize("role", PRIVILEGED, ids=lambda role: role.name)
def test_each_privileged_role_must_enrol_before_any_page(client, role):
    user = UserFactory(roles=[role])
    sign_in(client, user)

    for path in (reverse("home:dashboard"), "/admin/", "/api/v1/"):
        response = client.get(path)
        if path.startswith("/api/"):
            assert response.status_code == 403
            assert "second factor" in response.json()["detail"]
        else:
            assert response.status_code == 302
            assert response.url.startswith(reverse("accounts:two_factor_setup"))

    enrol(client, user)
    assert client.get(reverse("home:dashboard")).status_code == 200


@pytest.mark.parametrize("role", PRIVILEGED, ids=lambda role: role.name)
def test_an_enrolled_role_signing_in_again_is_stopped_until_the_code(client, role):
    user = UserFactory(roles=[role])
    sign_in(client, user)
    device = enrol(client, user)
    client.post(reverse("accounts:logout"))

    sign_in(client, user)
    for path in (reverse("home:dashboard"), "/admin/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:two_factor_verify"))

    wrong = client.post(reverse("accounts:two_factor_verify"), {"code": "000000"})
    assert wrong.status_code == 400
    assert "The code is not right" in wrong.content.decode()
    assert client.get(reverse("home:dashboard")).status_code == 302

    time.sleep(1.1)  # django-otp makes the next try wait a second after a wrong code
    # The next time step, since the step used at enrolment may not be used twice.
    ok = client.post(
        reverse("accounts:two_factor_verify"),
        {"code": code_for(device, offset=1), "next": "/admin/"},
    )
    assert ok.status_code == 302
    assert ok.url == "/admin/"
    assert client.get(reverse("home:dashboard")).status_code == 200
    admin = client.get("/admin/")
    if role in (Role.CONTENT_EDITOR, Role.PLATFORM_ADMIN):
        assert admin.status_code == 200
    else:
        assert admin.status_code == 403
        assert "You do not have access" in admin.content.decode()


def test_a_practitioner_may_go_on_without_enrolling(client):
    user = UserFactory(roles=[Role.PRACTITIONER])
    sign_in(client, user)

    assert client.get(reverse("home:dashboard")).status_code == 200


def test_a_practitioner_who_enrolled_is_asked_for_the_code(client):
    user = UserFactory(roles=[Role.PRACTITIONER])
    sign_in(client, user)
    enrol(client, user)
    client.post(reverse("accounts:logout"))

    sign_in(client, user)
    response = client.get(reverse("home:dashboard"))
    assert response.url.startswith(reverse("accounts:two_factor_verify"))


def test_a_backup_code_works_once(client):
    user = UserFactory(roles=[Role.PLATFORM_ADMIN])
    sign_in(client, user)
    enrol(client, user)
    backup = StaticToken.objects.filter(device__user=user).first().token
    client.post(reverse("accounts:logout"))

    sign_in(client, user)
    typed = f"{backup[:4].upper()} {backup[4:].upper()}"
    ok = client.post(reverse("accounts:two_factor_verify"), {"code": typed})
    assert ok.status_code == 302
    client.post(reverse("accounts:logout"))

    sign_in(client, user)
    again = client.post(reverse("accounts:two_factor_verify"), {"code": backup})
    assert again.status_code == 400


@pytest.mark.parametrize(
    "code", ["=1+1", "<script>alert(1)</script>", "1" * 20, "12345", "../../etc"]
)
def test_hostile_codes_get_a_message_not_an_error(client, code):
    user = UserFactory(roles=[Role.SUPERVISOR])
    sign_in(client, user)
    client.get(reverse("accounts:two_factor_setup"))

    response = client.post(reverse("accounts:two_factor_setup"), {"code": code})

    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert 'class="govuk-error-message"' in response.content.decode()
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_wrong_codes_are_throttled(client):
    user = UserFactory(roles=[Role.PROVIDER_MANAGER])
    sign_in(client, user)
    device = enrol(client, user)
    client.post(reverse("accounts:logout"))
    sign_in(client, user)

    for _ in range(3):
        client.post(reverse("accounts:two_factor_verify"), {"code": "000000"})
    # Even the right code waits out the throttle.
    response = client.post(
        reverse("accounts:two_factor_verify"), {"code": code_for(device, offset=1)}
    )
    assert response.status_code == 400
    assert "Too many wrong codes" in response.content.decode()


def test_the_next_address_cannot_send_people_off_site(client):
    user = UserFactory(roles=[Role.COMMISSIONER])
    sign_in(client, user)
    device = enrol(client, user)
    client.post(reverse("accounts:logout"))
    sign_in(client, user)

    response = client.post(
        reverse("accounts:two_factor_verify"),
        {"code": code_for(device, offset=1), "next": "https://evil.example/"},
    )

    assert response.url == reverse("home:dashboard")


def test_the_qr_code_is_an_inline_svg_of_the_otpauth_address(client):
    user = UserFactory(roles=[Role.SUPERVISOR])
    sign_in(client, user)

    page = client.get(reverse("accounts:two_factor_setup")).content.decode()

    assert "<svg" in page
    assert "QR code for your authenticator app" in page


def test_an_admin_reset_makes_the_person_enrol_again(client, caplog):
    user = UserFactory(roles=[Role.SUPERVISOR])
    sign_in(client, user)
    enrol(client, user)
    client.post(reverse("accounts:logout"))

    with caplog.at_level("WARNING", logger="sustain.security"):
        call_command("reset_two_factor", user.email, by="admin-ops")

    assert "two-factor reset" in caplog.text
    assert "by=admin-ops" in caplog.text
    sign_in(client, user)
    response = client.get(reverse("home:dashboard"))
    assert response.url.startswith(reverse("accounts:two_factor_setup"))


def test_with_the_setting_off_a_privileged_person_sees_the_demo_notice(client):
    user = UserFactory(roles=[Role.PROVIDER_MANAGER])
    with override_settings(TWO_FACTOR_REQUIRED=False):
        sign_in(client, user)
        page = client.get(reverse("home:dashboard"))

    assert page.status_code == 200
    assert "Two-factor authentication is switched off" in page.content.decode()
