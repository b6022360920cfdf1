"""Concurrent roster imports, on real PostgreSQL connections: never a 500.

Each thread is its own database connection, so the imports race as uploads from
two browsers or an HR system retrying would.
"""

import threading

import pytest
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from accounts.roles import Role
from accounts.tokens import issue_token
from tests.factories import (
    JobRoleFactory,
    OrganisationFactory,
    StaffProfileFactory,
    UserFactory,
)
from workforce.models import StaffProfile
from workforce.roster import ROSTER_LOCK_KEY

pytestmark = pytest.mark.django_db(transaction=True)
ROWS = [
    {
        "email": f"new{n}@harbour.example",
        "first_name": "New",
        "last_name": f"Worker {n}",
        "organisation": "safe-harbour",
        "team": "Duty",
        "job_role": "social-worker",
        "started_in_role": "2026-01-05",
        "qualified_on": "",
        "fte": "1",
        "supervisor_email": "new0@harbour.example" if n else "",
        "line_manager_email": "",
    }
    for n in range(5)
]


@pytest.fixture
def api_key():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proven against PostgreSQL")
    caches["throttles"].clear()
    org = OrganisationFactory(name="Safe Harbour", slug="safe-harbour")
    JobRoleFactory(name="Social worker", slug="social-worker")
    manager = StaffProfileFactory(
        organisation=org, user=UserFactory(roles=[Role.PROVIDER_MANAGER])
    )
    _, key = issue_token(user=manager.user)
    return key


def post_at_once(key: str, times: int) -> list[tuple[int, dict]]:
    start = threading.Barrier(times)
    answers: list[tuple[int, dict]] = []

    def upload() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        try:
            start.wait()
            response = client.post("/api/v1/roster/", {"rows": ROWS}, format="json")
            answers.append((response.status_code, response.json()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=upload) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def hold_the_lock(
    held: threading.Event, release: threading.Event, key: int = ROSTER_LOCK_KEY
) -> None:
    """Hold an import's lock on a connection of its own, as a long import would."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
            held.set()
            release.wait(timeout=30)
    finally:
        connections.close_all()


class TestConcurrentIdenticalImports:
    def test_four_at_once_give_no_500_and_create_each_person_once(self, api_key):
        answers = post_at_once(api_key, 4)

        assert sorted(code for code, _ in answers) == [200, 200, 200, 200]
        assert sorted(body["created"] for _, body in answers) == [0, 0, 0, 5]
        assert sorted(body["unchanged"] for _, body in answers) == [0, 5, 5, 5]
        assert User.objects.filter(email__endswith="@harbour.example").count() == 5
        assert (
            StaffProfile.objects.filter(
                supervisor__user__email="new0@harbour.example"
            ).count()
            == 4
        )

    def test_an_import_that_cannot_wait_its_turn_gets_a_json_409(
        self, api_key, settings
    ):
        settings.ROSTER_LOCK_WAIT_SECONDS = 1
        held, release = threading.Event(), threading.Event()
        holder = threading.Thread(target=hold_the_lock, args=(held, release))
        holder.start()
        try:
            assert held.wait(timeout=10)
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {api_key}")
            response = client.post("/api/v1/roster/", {"rows": ROWS}, format="json")
        finally:
            release.set()
            holder.join(timeout=30)

        assert response.status_code == 409
        assert "Another roster import is running" in response.json()["detail"]
        assert not User.objects.filter(email__endswith="@harbour.example").exists()
        # Once the other import is done, the same upload goes through.
        assert (
            client.post("/api/v1/roster/", {"rows": ROWS}, format="json").json()[
                "created"
            ]
            == 5
        )


class TestTheUploadPageWhileAnotherImportRuns:
    def test_the_page_asks_to_try_again_instead_of_failing(self, client, settings):
        if connection.vendor != "postgresql":
            pytest.skip("concurrency is proven against PostgreSQL")
        settings.ROSTER_LOCK_WAIT_SECONDS = 1
        org = OrganisationFactory(name="Safe Harbour", slug="safe-harbour")
        JobRoleFactory(name="Social worker", slug="social-worker")
        manager = StaffProfileFactory(
            organisation=org, user=UserFactory(roles=[Role.PROVIDER_MANAGER])
        )
        client.force_login(manager.user)
        header = ",".join(ROWS[0])
        body = "\n".join([header, ",".join(ROWS[0].values())]) + "\n"
        held, release = threading.Event(), threading.Event()
        holder = threading.Thread(target=hold_the_lock, args=(held, release))
        holder.start()
        try:
            assert held.wait(timeout=10)
            page = client.post(
                reverse("workforce:import_roster"),
                {
                    "file": SimpleUploadedFile("roster.csv", body.encode()),
                    "create_teams": "on",
                },
            )
        finally:
            release.set()
            holder.join(timeout=30)

        assert page.status_code == 400
        assert "Another roster import is running" in page.content.decode()
        assert not User.objects.filter(email__endswith="@harbour.example").exists()
