"""API tokens: hashed at rest, shown once, expiring, revocable, audited, throttled."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from wagtail.models import ModelLogEntry

from accounts.models import ApiToken
from accounts.roles import Role
from accounts.tokens import hash_key, issue_token
from tests.factories import StaffProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def commissioner():
    user = UserFactory(username="cara", roles=[Role.COMMISSIONER])
    StaffProfileFactory(user=user)
    return user


def api_status(key: str, path: str = "/api/v1/providers/") -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(path).status_code


def rows_containing(text: str) -> dict[str, int]:
    """Count, per table, the rows whose text holds ``text``, in any column."""
    found = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(
                f'SELECT count(*) FROM "{table}" t WHERE t::text LIKE %s',
                [f"%{text}%"],
            )
            count = cursor.fetchone()[0]
            if count:
                found[table] = count
    return found


def made_on_the_page(client) -> str:
    page = client.post(reverse("commissioning:create_token"), {"name": "Power BI"})
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    html = page.content.decode()
    return html.split('<div class="govuk-panel__body"><code>', 1)[1].split("<", 1)[0]


@pytest.mark.postgres  # reads every table as text and writes with now(): PostgreSQL's
class TestNoTokenIsStoredInPlaintext:
    def test_the_key_shown_once_is_nowhere_in_the_database(self, client, commissioner):
        client.force_login(commissioner)

        key = made_on_the_page(client)

        assert len(key) > 40
        assert api_status(key) == 200
        assert rows_containing(key) == {}
        assert rows_containing(key[10:30]) == {}
        assert "accounts_apitoken" in rows_containing(hash_key(key))
        for session in Session.objects.all():
            assert key not in str(session.get_decoded())

    def test_the_key_is_not_shown_again(self, client, commissioner):
        client.force_login(commissioner)
        key = made_on_the_page(client)

        again = client.get(reverse("commissioning:api_token")).content.decode()

        assert key not in again
        assert "Power BI" in again
        assert key[:10] in again  # the prefix, to tell tokens apart

    def test_old_plaintext_tokens_are_hashed_by_the_migration_and_still_work(
        self, commissioner
    ):
        old_key = "0f" * 20
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
                "created timestamptz NOT NULL, user_id bigint NOT NULL)"
            )
            cursor.execute(
                "INSERT INTO authtoken_token VALUES (%s, now(), %s)",
                [old_key, commissioner.pk],
            )
        migration = importlib.import_module("accounts.migrations.0004_api_token")

        with connection.schema_editor() as editor:
            migration.hash_old_tokens(apps, editor)

        assert rows_containing(old_key) == {}
        assert api_status(old_key) == 200
        token = ApiToken.objects.get(user=commissioner)
        assert token.expires_at > timezone.now() + timedelta(days=89)


class TestExpiryAndRevocation:
    def test_a_token_expires_after_ninety_days(self, commissioner):
        token, key = issue_token(user=commissioner)
        assert token.expires_at - token.created_at == timedelta(days=90)

        ApiToken.objects.filter(pk=token.pk).update(
            created_at=timezone.now() - timedelta(days=91),
            expires_at=timezone.now() - timedelta(days=1),
        )

        assert api_status(key) == 401

    def test_the_owner_revokes_one_token_and_the_other_keeps_working(
        self, client, commissioner
    ):
        client.force_login(commissioner)
        first = made_on_the_page(client)
        second = made_on_the_page(client)
        token = ApiToken.objects.get(key_hash=hash_key(first))

        client.post(reverse("commissioning:revoke_token", args=[token.pk]))

        assert api_status(first) == 401
        assert api_status(second) == 200
        page = client.get(reverse("commissioning:api_token")).content.decode()
        assert "Revoked" in page

    def test_nobody_revokes_someone_elses_token(self, client, commissioner):
        token, key = issue_token(user=commissioner)
        other = UserFactory(roles=[Role.COMMISSIONER])
        client.force_login(other)

        response = client.post(reverse("commissioning:revoke_token", args=[token.pk]))

        assert response.status_code == 404
        assert api_status(key) == 200

    def test_a_wrong_key_answers_401_with_json(self, commissioner):
        issue_token(user=commissioner)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Token sus_not-a-real-key")

        response = client.get("/api/v1/providers/")

        assert response.status_code == 401
        assert response.json()["detail"]

    def test_the_last_use_is_recorded(self, commissioner):
        token, key = issue_token(user=commissioner)

        api_status(key)

        token.refresh_from_db()
        assert token.last_used_at is not None

    def test_making_and_revoking_write_audit_entries(self, client, commissioner):
        client.force_login(commissioner)
        key = made_on_the_page(client)
        token = ApiToken.objects.get(key_hash=hash_key(key))
        client.post(reverse("commissioning:revoke_token", args=[token.pk]))

        entries = ModelLogEntry.objects.filter(object_id=str(token.pk)).order_by("pk")

        assert [(e.action, e.user_id) for e in entries] == [
            ("sustain.api_token.create", commissioner.pk),
            ("sustain.api_token.revoke", commissioner.pk),
        ]
        assert all(key not in str(e.data) for e in entries)


class TestApiThrottling:
    def test_too_many_requests_get_a_json_429_with_detail(self, settings, commissioner):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"user": "3/minute", "roster": "30/hour"},
        }
        _, key = issue_token(user=commissioner)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

        answers = [client.get("/api/v1/providers/") for _ in range(4)]

        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert "throttled" in answers[-1].json()["detail"]
        assert int(answers[-1].headers["Retry-After"]) > 0

    def test_roster_syncs_have_their_own_lower_rate(self, settings):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"user": "100/minute", "roster": "2/minute"},
        }
        manager = UserFactory(roles=[Role.PROVIDER_MANAGER])
        StaffProfileFactory(user=manager)
        _, key = issue_token(user=manager)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

        codes = [
            client.post("/api/v1/roster/", {"rows": []}, format="json").status_code
            for _ in range(3)
        ]

        assert codes == [400, 400, 429]
        assert client.get("/api/v1/providers/").status_code == 200
