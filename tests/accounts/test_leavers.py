"""Leavers lose access on their leaving date; rejoiners get it back."""

from datetime import date, timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.leavers import end_leavers_access
from accounts.models import ApiToken
from accounts.roles import Role
from accounts.tokens import issue_token
from notifications.sweep import run_daily_sweep
from tests.factories import StaffProfileFactory, UserFactory
from workforce.dates import today
from workforce.roster import COLUMNS, import_roster

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


@pytest.fixture
def leaver():
    user = UserFactory(
        username="lee", email="lee@harbour.example", roles=[Role.PROVIDER_MANAGER]
    )
    return StaffProfileFactory(user=user)


def api_status(token: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get("/api/v1/providers/").status_code


class TestTheSweepOnTheLeavingDate:
    def test_a_leaver_cannot_sign_in_and_their_token_answers_401(self, client, leaver):
        _, token = issue_token(user=leaver.user)
        browser = client
        browser.force_login(leaver.user)
        as_of = today() + timedelta(days=3)
        leaver.left_on = as_of
        leaver.save()
        assert api_status(token) == 200

        run_daily_sweep(as_of=as_of)

        leaver.user.refresh_from_db()
        assert not leaver.user.is_active
        assert api_status(token) == 401
        assert not Session.objects.exists()  # the session row itself is gone
        assert ApiToken.objects.get(user=leaver.user).revoked_at is not None
        assert browser.get(reverse("home:dashboard")).status_code == 302
        signed_in = client.post(
            reverse("accounts:login"),
            {"username": "lee@harbour.example", "password": PASSWORD},
        )
        assert signed_in.status_code == 200

    def test_a_rejoiners_old_token_stays_revoked(self, leaver):
        _, token = issue_token(user=leaver.user)
        leaver.left_on = today()
        leaver.save()

        leaver.left_on = None
        leaver.save()

        leaver.user.refresh_from_db()
        assert leaver.user.is_active
        assert api_status(token) == 401

    def test_the_day_before_the_leaving_date_they_keep_access(self, leaver):
        leaver.left_on = today() + timedelta(days=3)
        leaver.save()

        assert end_leavers_access(as_of=today() + timedelta(days=2)) == 0
        leaver.user.refresh_from_db()
        assert leaver.user.is_active


class TestAChangeToTheStaffRecord:
    def test_a_past_leaving_date_ends_access_at_once(self, client, leaver):
        client.force_login(leaver.user)

        leaver.left_on = date(2025, 1, 31)
        leaver.save()

        leaver.user.refresh_from_db()
        assert not leaver.user.is_active
        assert client.get(reverse("home:dashboard")).status_code == 302

    def test_a_rejoiner_is_let_back_in_when_the_date_is_cleared(self, leaver):
        leaver.left_on = date(2025, 1, 31)
        leaver.save()

        leaver.left_on = None
        leaver.save()

        leaver.user.refresh_from_db()
        assert leaver.user.is_active

    def test_the_roster_left_on_column_ends_and_restores_access(self, leaver):
        header = ",".join([*COLUMNS, "left_on"])
        org = leaver.organisation

        def row(left_on: str) -> str:
            return (
                f"{header}\nlee@harbour.example,Lee,Leaver,{org.slug},,"
                f"{leaver.job_role.slug},2024-01-01,,1,,,{left_on}\n"
            )

        result = import_roster(row("2025-01-31"))
        assert result.ok, result.errors
        leaver.user.refresh_from_db()
        assert not leaver.user.is_active

        import_roster(row(""))
        leaver.user.refresh_from_db()
        assert leaver.user.is_active
