"""People list and remove their own passkeys; the code page names what they have."""

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.models import ModelLogEntry

from accounts.models import Passkey
from accounts.roles import Role
from accounts.two_factor import replace_backup_codes
from tests.accounts.test_two_factor import sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def add_passkey(user, name):
    return Passkey.objects.create(
        user=user,
        name=name,
        confirmed=True,
        credential_id=f"{user.pk}-{name}".encode(),
        public_key=b"public",
        created_at=timezone.now(),
    )


def sign_in_with_backup_code(client, user):
    """Pass the password and then the second factor, as a passkey-only person can
    without a browser authenticator: with one of their backup codes."""
    codes = replace_backup_codes(user)
    sign_in(client, user)
    verified = client.post(reverse("accounts:two_factor_verify"), {"code": codes[0]})
    assert verified.status_code == 302, verified.content.decode()


@pytest.fixture
def sam(client):
    user = UserFactory(username="sam", email="sam@harbour.example")
    add_passkey(user, "Work laptop")
    add_passkey(user, "Phone")
    return user


class TestListingAndRemoving:
    def test_a_person_sees_their_passkeys_and_removes_one(self, client, sam):
        sign_in_with_backup_code(client, sam)

        page = client.get(reverse("accounts:security")).content.decode()
        assert "Work laptop" in page and "Phone" in page
        assert "9 unused backup codes" in page

        laptop = Passkey.objects.get(user=sam, name="Work laptop")
        done = client.post(
            reverse("accounts:passkey_remove", args=[laptop.pk]), follow=True
        )

        page = done.content.decode()
        assert "Your passkey “Work laptop” is removed." in page
        assert "Work laptop" not in page.replace("“Work laptop”", "")
        assert list(
            Passkey.objects.filter(user=sam).values_list("name", flat=True)
        ) == ["Phone"]
        entry = ModelLogEntry.objects.get(action="sustain.passkey.remove")
        assert (entry.user_id, entry.data["passkey"]) == (sam.pk, laptop.pk)

    def test_the_dashboard_links_to_it(self, client, sam):
        sign_in_with_backup_code(client, sam)

        assert reverse("accounts:security") in client.get("/").content.decode()

    def test_another_person_s_passkey_cannot_be_removed_or_seen(self, client, sam):
        eve = UserFactory(username="eve", email="eve@harbour.example")
        sign_in(client, eve)
        target = Passkey.objects.filter(user=sam).first()

        response = client.post(reverse("accounts:passkey_remove", args=[target.pk]))
        page = client.get(reverse("accounts:security")).content.decode()

        assert response.status_code == 404
        assert Passkey.objects.filter(user=sam).count() == 2
        assert "Work laptop" not in page
        assert not ModelLogEntry.objects.filter(action="sustain.passkey.remove")

    def test_removal_needs_a_post(self, client, sam):
        sign_in_with_backup_code(client, sam)
        target = Passkey.objects.filter(user=sam).first()

        response = client.get(reverse("accounts:passkey_remove", args=[target.pk]))

        assert response.status_code == 405
        assert Passkey.objects.filter(user=sam).count() == 2

    def test_a_password_alone_cannot_remove_a_passkey(self, client, sam):
        sign_in(client, sam)  # no second factor given
        target = Passkey.objects.filter(user=sam).first()

        response = client.post(reverse("accounts:passkey_remove", args=[target.pk]))

        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:two_factor_verify"))
        assert Passkey.objects.filter(user=sam).count() == 2


class TestTheLastSecondFactor:
    @pytest.fixture(autouse=True)
    def _two_factor_on(self):
        with override_settings(TWO_FACTOR_REQUIRED=True):
            yield

    def test_a_manager_cannot_remove_their_only_passkey(self, client):
        manager = UserFactory(username="mo", roles=[Role.PROVIDER_MANAGER])
        only = add_passkey(manager, "Security key")
        sign_in_with_backup_code(client, manager)

        done = client.post(
            reverse("accounts:passkey_remove", args=[only.pk]), follow=True
        )

        assert "You cannot remove your only passkey" in done.content.decode()
        assert Passkey.objects.filter(pk=only.pk).exists()
        assert not ModelLogEntry.objects.filter(action="sustain.passkey.remove")

    def test_a_manager_with_an_authenticator_app_too_may_remove_it(self, client):
        manager = UserFactory(username="mo", roles=[Role.PROVIDER_MANAGER])
        only = add_passkey(manager, "Security key")
        TOTPDevice.objects.create(user=manager, name="App", confirmed=True)
        sign_in_with_backup_code(client, manager)

        client.post(reverse("accounts:passkey_remove", args=[only.pk]))

        assert not Passkey.objects.filter(pk=only.pk).exists()

    def test_a_practitioner_who_removes_their_last_passkey_is_not_asked_again(
        self, client
    ):
        pat = UserFactory(username="pat", roles=[Role.PRACTITIONER])
        only = add_passkey(pat, "Phone")
        sign_in_with_backup_code(client, pat)

        client.post(reverse("accounts:passkey_remove", args=[only.pk]))
        client.post(reverse("accounts:logout"))
        sign_in(client, pat)

        assert client.get("/").status_code == 200
        assert not StaticDevice.objects.filter(user=pat).exists()


class TestTheCodePageWording:
    def test_a_passkey_only_person_is_not_told_about_an_app(self, client, sam):
        sign_in(client, sam)

        page = client.get(reverse("accounts:two_factor_verify")).content.decode()
        wrong = client.post(
            reverse("accounts:two_factor_verify"), {"code": "123456"}
        ).content.decode()

        assert "authenticator app" not in page.lower()
        assert "Backup code" in page and "Use your passkey" in page
        assert "authenticator app" not in wrong.lower() and "your app" not in wrong
        assert "Enter an unused backup code" in wrong

    def test_a_person_with_an_app_is_asked_for_its_code(self, client, sam):
        TOTPDevice.objects.create(user=sam, name="App", confirmed=True)
        sign_in(client, sam)

        page = client.get(reverse("accounts:two_factor_verify")).content.decode()

        assert "Open your authenticator app" in page
