"""``/health/`` and ``manage.py outbox_status``: what an operator checks first."""

import json
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from notifications import health
from tests.factories.notifications import NotificationFactory, SweepRunFactory

pytestmark = pytest.mark.django_db

DEAD_BROKER = "redis://127.0.0.1:6390/0"


class TestHealth:
    def test_it_reports_the_outbox_lag_and_the_last_sweep(
        self, client, settings, make_person
    ):
        settings.CELERY_BROKER_URL = ""
        now = timezone.now()
        person = make_person()
        NotificationFactory(recipient=person.user, created_at=now - timedelta(hours=2))
        NotificationFactory(recipient=person.user, status="sent", created_at=now)
        SweepRunFactory(started_at=now - timedelta(hours=3), counts={"opened": 4})

        response = client.get("/health/")

        assert response.status_code == 200
        report = response.json()
        assert report["database"] == "ok"
        assert report["redis"] == "not-configured"
        assert report["undelivered"] == 1
        assert 7200 <= report["oldest_undelivered_seconds"] < 7300
        assert report["last_sweep"]["status"] == "succeeded"
        assert report["last_sweep"]["counts"] == {"opened": 4}
        # Figures only: no one's name or address.
        assert person.user.email not in response.content.decode()
        assert person.user.last_name not in response.content.decode()

    def test_an_empty_outbox_has_no_lag(self, client, settings):
        settings.CELERY_BROKER_URL = ""

        report = client.get("/health/").json()

        assert report["oldest_undelivered_seconds"] is None
        assert report["last_sweep"] is None
        assert report["status"] == "ok"

    def test_a_dead_broker_is_reported_within_a_second_or_so(self, client, settings):
        settings.CELERY_BROKER_URL = DEAD_BROKER
        began = time.perf_counter()

        response = client.get("/health/")

        assert time.perf_counter() - began < 2
        assert response.status_code == 200
        assert response.json()["redis"] == "unavailable"
        assert response.json()["status"] == "degraded"

    @pytest.mark.redis
    def test_a_live_broker_is_reported_ok(self, client, settings):
        import os

        settings.CELERY_BROKER_URL = os.environ["REDIS_URL"]

        assert client.get("/health/").json()["redis"] == "ok"

    def test_it_answers_503_when_the_database_is_down(
        self, client, settings, monkeypatch
    ):
        settings.CELERY_BROKER_URL = ""
        monkeypatch.setattr(health, "database_status", lambda: "unavailable")

        response = client.get("/health/")

        assert response.status_code == 503
        assert response.json()["database"] == "unavailable"
        assert response.json()["status"] == "unavailable"

    def test_it_is_never_cached(self, client, settings):
        settings.CELERY_BROKER_URL = ""

        response = client.get("/health/")

        assert "no-cache" in response["Cache-Control"]


class TestOutboxStatusCommand:
    def test_it_prints_the_same_report(self, settings):
        settings.CELERY_BROKER_URL = ""
        NotificationFactory()
        out = StringIO()

        call_command("outbox_status", stdout=out)

        report = json.loads(out.getvalue())
        assert report["undelivered"] == 1
        assert report["database"] == "ok"

    def test_it_fails_loudly_when_the_database_is_down(self, settings, monkeypatch):
        settings.CELERY_BROKER_URL = ""
        monkeypatch.setattr(health, "database_status", lambda: "unavailable")

        with pytest.raises(CommandError, match="database is unavailable"):
            call_command("outbox_status", stdout=StringIO())
