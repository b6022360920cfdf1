"""An organisation that turns Sustain passwords off: its people sign in only through
its provider; password sign-in, reset and invitations point them there; a platform
admin keeps a break-glass password. The switch is audited."""

from __future__ import annotations

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from wagtail.models import ModelLogEntry

from accounts.invitations import invite
from accounts.models import OrganisationSignIn
from accounts.roles import Role
from accounts.sign_in_settings import FIELDS, SignInSettingsError, save_sign_in
from notifications.models import Notification
from tests.accounts.oidc_fake import configure
from tests.factories import OrganisationFactory, StaffProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
REFUSED = (
    "Northshire Council has turned off Sustain passwords for its staff. "
    "Sign in with Northshire Council account instead."
)


@pytest.fixture
def northshire(providers):
    org = OrganisationFactory(name="Northshire Council", slug="northshire")
    idp = providers.add("northshire")
    configure(org, idp, domains="northshire.gov.uk", passwords_off=True)
    return org, idp


@pytest.fixture
def ann(northshire):
    return StaffProfileFactory(
        organisation=northshire[0],
        user=UserFactory(username="ann", email="ann@northshire.gov.uk"),
    ).user


def sign_in(client, login, password=PASSWORD):
    return client.post("/accounts/login/", {"username": login, "password": password})


def signed_in_as(client):
    return client.session.get("_auth_user_id")


class TestSigningIn:
    def test_the_right_password_is_refused_with_the_way_in(self, client, ann):
        response = sign_in(client, "ann@northshire.gov.uk")

        page = response.content.decode()
        assert signed_in_as(client) is None
        assert REFUSED in page
        assert 'href="/oidc/authenticate/northshire/"' in page
        assert "Sign in with Northshire Council account" in page

    def test_a_username_with_the_right_password_is_refused_too(self, client, ann):
        sign_in(client, "ann")

        assert signed_in_as(client) is None

    def test_any_address_at_the_domain_is_told_the_same_whether_or_not_it_exists(
        self, client, ann
    ):
        wrong = sign_in(client, "ann@northshire.gov.uk", "not the password")
        nobody = sign_in(client, "nobody@northshire.gov.uk", "anything at all")

        assert REFUSED in wrong.content.decode()
        assert REFUSED in nobody.content.decode()

    def test_they_sign_in_through_the_provider(
        self, client, providers, northshire, ann
    ):
        northshire[1].email = ann.email

        providers.sign_in(client, "/oidc/authenticate/northshire/")

        assert signed_in_as(client) == str(ann.pk)

    def test_a_platform_admin_in_that_organisation_keeps_a_break_glass_password(
        self, client, northshire, caplog
    ):
        admin = StaffProfileFactory(
            organisation=northshire[0],
            user=UserFactory(
                username="alex",
                email="alex@northshire.gov.uk",
                roles=[Role.PLATFORM_ADMIN],
            ),
        ).user

        response = sign_in(client, "alex@northshire.gov.uk")

        assert response.status_code == 302
        assert signed_in_as(client) == str(admin.pk)
        assert "break-glass password sign-in" in caplog.text

    def test_other_organisations_keep_their_passwords(self, client, northshire):
        other = StaffProfileFactory(
            user=UserFactory(username="olu", email="olu@elsewhere.example")
        ).user

        sign_in(client, "olu@elsewhere.example")

        assert signed_in_as(client) == str(other.pk)

    def test_turning_passwords_back_on_lets_them_in(self, client, northshire, ann):
        config = OrganisationSignIn.objects.get(organisation=northshire[0])
        values = {field: getattr(config, field) for field in FIELDS}
        save_sign_in(
            actor=None,
            organisation=northshire[0],
            values={**values, "passwords_off": False},
        )

        sign_in(client, "ann@northshire.gov.uk")

        assert signed_in_as(client) == str(ann.pk)
        switches = ModelLogEntry.objects.filter(action="sustain.sign_in.passwords")
        assert [e.data["summary"] for e in switches.order_by("pk")] == [
            "Passwords turned off",
            "Passwords turned on",
        ]


class TestPasswordResetAndInvitations:
    def test_a_reset_is_refused_with_the_way_in_and_nothing_is_sent(self, client, ann):
        before = Notification.objects.count()

        response = client.post(
            "/accounts/password-reset/", {"email": "Ann@northshire.gov.uk"}
        )

        assert response.status_code == 200
        assert "There is no Sustain password to reset." in response.content.decode()
        assert 'href="/oidc/authenticate/northshire/"' in response.content.decode()
        assert Notification.objects.count() == before

    def test_a_reset_link_sent_before_the_switch_sets_no_password(self, client, ann):
        uid = urlsafe_base64_encode(force_bytes(ann.pk))
        token = default_token_generator.make_token(ann)
        form = client.get(f"/accounts/reset/{uid}/{token}/", follow=True)
        response = client.post(
            form.redirect_chain[-1][0],
            {
                "new_password1": "a brand new pass 42",
                "new_password2": "a brand new pass 42",
            },
        )

        ann.refresh_from_db()
        assert REFUSED in response.content.decode()
        assert not ann.check_password("a brand new pass 42")

    def test_an_invitation_link_points_to_the_provider_and_sets_no_password(
        self, client, northshire
    ):
        new = StaffProfileFactory(
            organisation=northshire[0],
            user=UserFactory(username="nia", email="nia@northshire.gov.uk"),
        ).user
        new.set_unusable_password()
        new.save()
        invite(user=new)
        link = Notification.objects.get(recipient=new, kind="invitation").body_text
        path = (
            "/accounts/invitation/" + link.split("/accounts/invitation/")[1].split()[0]
        )

        page = client.get(path)
        posted = client.post(
            path,
            {
                "new_password1": "a brand new pass 42",
                "new_password2": "a brand new pass 42",
            },
        )

        assert "You do not need a Sustain password" in page.content.decode()
        assert 'href="/oidc/authenticate/northshire/"' in page.content.decode()
        assert posted.status_code == 403
        new.refresh_from_db()
        assert not new.has_usable_password()


class TestTheSwitch:
    def test_passwords_cannot_be_off_while_single_sign_on_is_off(self, northshire):
        config = OrganisationSignIn.objects.get(organisation=northshire[0])
        values = {field: getattr(config, field) for field in FIELDS}

        with pytest.raises(
            SignInSettingsError, match="only while single sign-on is on"
        ):
            save_sign_in(
                actor=None,
                organisation=northshire[0],
                values={**values, "enabled": False, "passwords_off": True},
            )
