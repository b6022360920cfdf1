"""Signing in and out, lockout, session limits and password reset."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import SIGNED_IN_AT, TOUCHED_AT
from accounts.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


@pytest.fixture
def person():
    return UserFactory(
        username="sam", email="sam@example.org", roles=[Role.PRACTITIONER]
    )


def sign_in(client, username="sam", password=PASSWORD):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}
    )


class TestSignIn:
    def test_the_right_password_signs_in_and_lands_on_the_home_page(
        self, client, person
    ):
        response = sign_in(client)

        assert response.status_code == 302
        assert response.url == reverse("home:dashboard")
        assert client.get(response.url).status_code == 200

    def test_a_wrong_password_shows_an_error_and_stays_signed_out(self, client, person):
        response = sign_in(client, password="nope")

        assert response.status_code == 200
        assert "Enter a correct username or email and password" in (
            response.content.decode()
        )
        assert client.get(reverse("home:dashboard")).status_code == 302

    def test_the_home_page_sends_signed_out_visitors_to_sign_in(self, client):
        response = client.get(reverse("home:dashboard"))

        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))

    def test_signing_out_ends_the_session(self, client, person):
        sign_in(client)

        client.post(reverse("accounts:logout"))

        assert client.get(reverse("home:dashboard")).status_code == 302


class TestLockout:
    def test_ten_wrong_passwords_lock_the_account_even_against_the_right_one(
        self, client, person
    ):
        for _ in range(10):
            sign_in(client, password="wrong")

        response = sign_in(client)

        assert response.status_code == 429
        assert "Your account is locked for now" in response.content.decode()
        assert client.get(reverse("home:dashboard")).status_code == 302

    def test_nine_wrong_passwords_still_allow_the_right_one(self, client, person):
        for _ in range(9):
            sign_in(client, password="wrong")

        assert sign_in(client).status_code == 302


class TestSessionLimits:
    def test_sessions_expire_after_thirty_idle_minutes_renewed_by_each_request(self):
        assert settings.SESSION_COOKIE_AGE == 30 * 60
        assert settings.SESSION_TOUCH_SECONDS == 60

    def test_a_request_renews_the_session_at_most_once_a_minute(self, client, person):
        sign_in(client)
        client.get(reverse("home:dashboard"))
        ten_minutes_left = timezone.now() + timedelta(minutes=10)
        Session.objects.update(expire_date=ten_minutes_left)

        # Straight after the last touch: nothing changed, so nothing is written.
        client.get(reverse("home:dashboard"))
        assert Session.objects.get().expire_date == ten_minutes_left

        # A minute after it, the next request renews the 30 minutes from now.
        session = client.session
        session[TOUCHED_AT] = time.time() - 61
        session.save()
        Session.objects.update(expire_date=ten_minutes_left)
        client.get(reverse("home:dashboard"))
        renewed = Session.objects.get().expire_date
        assert renewed > timezone.now() + timedelta(minutes=29)

    def test_an_idle_session_ends(self, client, person):
        sign_in(client)
        Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

        assert client.get(reverse("home:dashboard")).status_code == 302

    def test_a_session_older_than_twelve_hours_is_ended_however_active(
        self, client, person
    ):
        sign_in(client)
        session = client.session
        session[SIGNED_IN_AT] = time.time() - 12 * 60 * 60 - 1
        session.save()

        response = client.get(reverse("home:dashboard"))

        assert response.status_code == 302
        assert client.get(reverse("home:dashboard")).status_code == 302


class TestPasswordReset:
    def test_the_link_goes_through_the_outbox_and_sets_a_new_password(
        self, client, person
    ):
        from notifications.models import Notification
        from notifications.services import deliver_pending

        client.post(reverse("accounts:password_reset"), {"email": "sam@example.org"})

        # Written to the outbox like every other email, not sent from the request.
        assert mail.outbox == []
        row = Notification.objects.get(kind="password_reset")
        assert row.recipient == person
        # It is not a message for the notifications page: a way in stays in email.
        assert not Notification.objects.in_inbox().filter(pk=row.pk).exists()
        deliver_pending(now=timezone.now())
        assert [m.to for m in mail.outbox] == [["sam@example.org"]]
        link = next(
            line
            for line in mail.outbox[0].body.splitlines()
            if "/accounts/reset/" in line
        )
        assert link.startswith(settings.SITE_URL + "/accounts/reset/")
        assert link in mail.outbox[0].alternatives[0][0]

        form_page = client.get(link.removeprefix(settings.SITE_URL), follow=True)
        response = client.post(
            form_page.redirect_chain[-1][0],
            {
                "new_password1": "a new long passphrase 42",
                "new_password2": "a new long passphrase 42",
            },
        )
        assert response.status_code == 302
        assert sign_in(client, password="a new long passphrase 42").status_code == 302
        # The link works once.
        client.post(reverse("accounts:logout"))
        again = client.get(link.removeprefix(settings.SITE_URL), follow=True)
        assert "This link has expired" in again.content.decode()

    def test_an_unknown_address_sends_nothing_but_says_the_same(self, client, person):
        from notifications.models import Notification

        response = client.post(
            reverse("accounts:password_reset"),
            {"email": "nobody@example.org"},
            follow=True,
        )

        assert "Check your email" in response.content.decode()
        assert not Notification.objects.filter(kind="password_reset").exists()


class TestSignInByEmail:
    @pytest.mark.parametrize("login", ["sam@example.org", "SAM@Example.ORG", "Sam"])
    def test_the_email_or_username_in_any_case_signs_in(self, client, person, login):
        response = sign_in(client, username=login)

        assert response.status_code == 302
        assert client.get(reverse("home:dashboard")).status_code == 200

    def test_an_email_with_the_wrong_password_does_not_sign_in(self, client, person):
        response = sign_in(client, username="sam@example.org", password="nope")

        assert response.status_code == 200
        assert client.get(reverse("home:dashboard")).status_code == 302

    def test_an_inactive_account_cannot_sign_in_by_email(self, client, person):
        person.is_active = False
        person.save()

        response = sign_in(client, username="sam@example.org")

        assert response.status_code == 200
        assert client.get(reverse("home:dashboard")).status_code == 302
