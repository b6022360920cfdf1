"""Lockout is per account and address; an address trying many accounts is refused."""

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory, override_settings
from django.urls import reverse

from accounts.addresses import client_ip
from accounts.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
OFFICE = "198.51.100.7"
HOME = "203.0.113.20"


@pytest.fixture
def admin():
    return UserFactory(
        username="admin", email="admin@sustain.example", roles=[Role.PRACTITIONER]
    )


def sign_in(client, username, password=PASSWORD, **meta):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        **meta,
    )


class TestLockingOneAccountFromOneAddress:
    def test_ten_wrong_passwords_from_one_address_do_not_lock_the_user_out_elsewhere(
        self, client, admin
    ):
        for _ in range(10):
            sign_in(client, "admin", "guess", REMOTE_ADDR=OFFICE)

        locked = sign_in(client, "admin", REMOTE_ADDR=OFFICE)
        elsewhere = sign_in(client, "admin", REMOTE_ADDR=HOME)

        assert locked.status_code == 429
        assert "Your account is locked for now" in locked.content.decode()
        assert elsewhere.status_code == 302
        assert client.get(reverse("home:dashboard")).status_code == 200

    def test_typing_the_email_or_another_case_does_not_buy_more_guesses(
        self, client, admin
    ):
        for login in [
            "admin",
            "ADMIN",
            "Admin@Sustain.example",
            "admin@sustain.example",
        ]:
            for _ in range(3):
                sign_in(client, login, "guess", REMOTE_ADDR=OFFICE)

        assert sign_in(client, "admin", REMOTE_ADDR=OFFICE).status_code == 429
        assert set(AccessAttempt.objects.values_list("username", flat=True)) == {
            "admin"
        }


class TestPasswordSprayingFromOneAddress:
    def test_fifty_usernames_tried_from_one_address_are_throttled(self, client, admin):
        for n in range(50):
            sign_in(
                client, f"worker{n}@harbour.example", "Winter2026!", REMOTE_ADDR=OFFICE
            )

        throttled = sign_in(client, "admin", REMOTE_ADDR=OFFICE)
        elsewhere = sign_in(client, "admin", REMOTE_ADDR=HOME)

        assert throttled.status_code == 429
        page = throttled.content.decode()
        assert "Too many sign-in attempts from your network" in page
        assert "Traceback" not in page
        assert elsewhere.status_code == 302

    def test_forty_nine_usernames_still_let_the_right_password_in(self, client, admin):
        for n in range(49):
            sign_in(
                client, f"worker{n}@harbour.example", "Winter2026!", REMOTE_ADDR=OFFICE
            )

        assert sign_in(client, "admin", REMOTE_ADDR=OFFICE).status_code == 302


class TestTheAddressBehindAProxy:
    @override_settings(PROXY_COUNT=1)
    def test_axes_records_the_client_not_the_proxy(self, client, admin):
        for _ in range(10):
            sign_in(
                client,
                "admin",
                "guess",
                REMOTE_ADDR="127.0.0.1",
                HTTP_X_FORWARDED_FOR=f"10.9.9.9, {OFFICE}",
            )

        assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {
            OFFICE
        }
        # Another client behind the same proxy still signs in.
        other = sign_in(
            client, "admin", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=HOME
        )
        assert other.status_code == 302

    @override_settings(PROXY_COUNT=1)
    def test_a_spoofed_header_does_not_escape_the_lock(self, client, admin):
        for n in range(10):
            # The client writes its own X-Forwarded-For; nginx appends the real one.
            sign_in(
                client,
                "admin",
                "guess",
                REMOTE_ADDR="127.0.0.1",
                HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {OFFICE}",
            )

        assert (
            sign_in(
                client,
                "admin",
                REMOTE_ADDR="127.0.0.1",
                HTTP_X_FORWARDED_FOR=f"192.0.2.99, {OFFICE}",
            ).status_code
            == 429
        )


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "203.0.113.1", "192.0.2.1", "203.0.113.1"),  # no proxy: header ignored
        (1, "127.0.0.1", "192.0.2.1", "192.0.2.1"),
        (1, "127.0.0.1", "6.6.6.6, 192.0.2.1", "192.0.2.1"),
        (2, "127.0.0.1", "6.6.6.6, 192.0.2.1, 10.0.0.2", "192.0.2.1"),
        (2, "127.0.0.1", "192.0.2.1", "127.0.0.1"),  # skipped a proxy: not trusted
        (1, "127.0.0.1", "not-an-address", "127.0.0.1"),
        (1, "127.0.0.1", "", "127.0.0.1"),
        (1, "127.0.0.1", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip(settings, proxies, remote, forwarded, expected):
    settings.PROXY_COUNT = proxies
    meta = {"REMOTE_ADDR": remote}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_ip(RequestFactory().get("/", **meta)) == expected


def reset_recipients() -> list[str]:
    """Who the outbox holds a password reset link for, in the order asked."""
    from notifications.models import Notification

    return list(
        Notification.objects.filter(kind="password_reset")
        .order_by("pk")
        .values_list("recipient__email", flat=True)
    )


class TestPasswordResetThrottles:
    def reset(self, client, email, address=OFFICE):
        return client.post(
            reverse("accounts:password_reset"),
            {"email": email},
            REMOTE_ADDR=address,
            follow=True,
        )

    def test_one_email_gets_at_most_three_links_an_hour(self, client, admin):
        pages = [self.reset(client, "admin@sustain.example") for _ in range(5)]

        assert len(reset_recipients()) == 3
        assert all("Check your email" in p.content.decode() for p in pages)

    def test_one_address_asking_for_many_emails_is_throttled(self, client, settings):
        settings.PASSWORD_RESET_ADDRESS_LIMIT = 4
        for n in range(6):
            UserFactory(email=f"worker{n}@harbour.example")

        for n in range(6):
            self.reset(client, f"worker{n}@harbour.example")
        self.reset(client, "worker5@harbour.example", address=HOME)

        assert reset_recipients() == [
            *[f"worker{n}@harbour.example" for n in range(4)],
            "worker5@harbour.example",
        ]
