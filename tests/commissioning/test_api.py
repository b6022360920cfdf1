"""The v1 API: tokens, scope, errors with field detail, roster sync, the schema."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.tokens import issue_token
from tests.factories.commissioning import build_county, grow
from workforce.models import StaffProfile

pytestmark = pytest.mark.django_db

EMAIL = "new.worker@alpha.example"
FIGURES = ["coverage", "supervision", "checkins", "caseload", "staffing", "forecast"]
CONTENT_FIELDS = [
    "experience",
    "feelings",
    "analysis",
    "wellbeing_notes",
    "impact_score",
    "support_score",
    "supervisee_reflection",
    "first_name",
    "last_name",
]


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr("commissioning.api.today", lambda: date(2026, 3, 15))


@pytest.fixture
def county():
    return build_county()


def api_as(user) -> APIClient:
    client = APIClient()
    _, key = issue_token(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


class TestAuthentication:
    def test_no_token_answers_401(self, county):
        response = APIClient().get("/api/v1/caseload/")

        assert response.status_code == 401
        assert "detail" in response.json()

    def test_a_practitioner_answers_403(self, county):
        response = api_as(county.workers[0].user).get("/api/v1/caseload/")

        assert response.status_code == 403


class TestFigures:
    @pytest.mark.parametrize("segment", FIGURES)
    def test_a_commissioner_reads_only_their_providers(self, county, segment):
        response = api_as(county.commissioner.user).get(f"/api/v1/{segment}/")

        assert response.status_code == 200
        providers = {row["provider"] for row in response.json()["results"]}
        assert "Gamma" not in providers
        text = response.content.decode()
        for field in CONTENT_FIELDS:
            assert f'"{field}"' not in text
        assert "Zedworker" not in text

    def test_caseload_figures_are_exact(self, county):
        response = api_as(county.commissioner.user).get("/api/v1/caseload/")

        alpha = next(r for r in response.json()["results"] if r["provider"] == "Alpha")
        assert alpha["mean_caseload"] == 8.5
        assert alpha["pct_over_threshold"] == 50.0

    def test_a_provider_id_gives_its_teams(self, county):
        response = api_as(county.commissioner.user).get(
            f"/api/v1/checkins/?provider={county.alpha.pk}"
        )

        body = response.json()
        assert body["level"] == "team"
        assert {r["team"] for r in body["results"]} == {"A1", "A2"}
        for row in body["results"]:
            assert row["suppressed"] is True
            assert row["people_checked_in"] is None
            assert row["pct_prompted_support"] is None

    def test_a_swapped_provider_id_answers_404(self, county):
        response = api_as(county.commissioner.user).get(
            f"/api/v1/coverage/?provider={county.gamma.pk}"
        )

        assert response.status_code == 404

    def test_a_malformed_provider_id_answers_400_naming_the_field(self, county):
        response = api_as(county.commissioner.user).get("/api/v1/coverage/?provider=x")

        assert response.status_code == 400
        assert "provider" in response.json()

    def test_snapshots_reject_a_bad_date_by_field(self, county):
        response = api_as(county.commissioner.user).get("/api/v1/snapshots/?start=soon")

        assert response.status_code == 400
        assert "start" in response.json()

    def test_snapshots_of_a_swapped_provider_answer_404(self, county):
        response = api_as(county.commissioner.user).get(
            f"/api/v1/snapshots/?provider={county.gamma.pk}"
        )

        assert response.status_code == 404

    def test_query_counts_stay_flat_when_data_grows_tenfold(self, county):
        client = api_as(county.commissioner.user)
        urls = [f"/api/v1/{s}/" for s in FIGURES] + [
            f"/api/v1/coverage/?provider={county.alpha.pk}",
            "/api/v1/snapshots/",
        ]

        def counts() -> dict[str, int]:
            found = {}
            for url in urls:
                with CaptureQueriesContext(connection) as queries:
                    assert client.get(url).status_code == 200
                found[url] = len(queries)
            return found

        # Warm up: the first request records the token's last use and starts the
        # throttle's count; later ones within the minute only update the count.
        client.get("/api/v1/providers/")
        before = counts()
        grow(county, times=10)
        assert counts() == before


class TestRosterSync:
    def row(self, **overrides):
        row = {
            "email": EMAIL,
            "first_name": "New",
            "last_name": "Worker",
            "organisation": "Alpha",
            "team": "A1",
            "job_role": "social-worker",
            "started_in_role": "2026-01-05",
            "fte": "0.8",
        }
        row.update(overrides)
        return row

    def test_a_provider_manager_upserts_rows_and_gets_counts(self, county):
        client = api_as(county.manager.user)

        first = client.post("/api/v1/roster/", {"rows": [self.row()]}, format="json")
        again = client.post("/api/v1/roster/", {"rows": [self.row()]}, format="json")

        assert first.status_code == 200
        assert first.json() == {
            "created": 1,
            "updated": 0,
            "unchanged": 0,
            "dry_run": False,
        }
        assert again.json()["unchanged"] == 1
        assert StaffProfile.objects.filter(user__email=EMAIL).count() == 1

    def test_bad_rows_answer_400_per_row_and_field_and_save_nothing(self, county):
        rows = [
            self.row(),
            self.row(email="second@alpha.example", fte="2", started_in_role="soon"),
        ]

        response = api_as(county.manager.user).post(
            "/api/v1/roster/", {"rows": rows}, format="json"
        )

        assert response.status_code == 400
        errors = response.json()["errors"]
        assert {(e["row"], e["field"]) for e in errors} == {
            (1, "fte"),
            (1, "started_in_role"),
        }
        assert not StaffProfile.objects.filter(
            user__email="new.worker@alpha.example"
        ).exists()

    def test_another_organisation_is_refused_by_field(self, county):
        response = api_as(county.manager.user).post(
            "/api/v1/roster/", {"rows": [self.row(organisation="Gamma")]}, format="json"
        )

        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "organisation"

    def test_a_body_that_is_not_rows_answers_400(self, county):
        response = api_as(county.manager.user).post(
            "/api/v1/roster/", {"rows": "everyone"}, format="json"
        )

        assert response.status_code == 400
        assert "rows" in response.json()

    def test_a_commissioner_cannot_sync_a_roster(self, county):
        response = api_as(county.commissioner.user).post(
            "/api/v1/roster/", {"rows": [self.row()]}, format="json"
        )

        assert response.status_code == 403


class TestSchema:
    def test_the_openapi_schema_lists_the_versioned_routes_only(self, client):
        response = client.get("/api/v1/openapi.json")

        schema = response.json()
        assert response.status_code == 200
        assert schema["openapi"].startswith("3.")
        assert "/api/v1/coverage/" in schema["paths"]
        assert "/api/v1/roster/" in schema["paths"]
        assert all(path.startswith("/api/v1/") for path in schema["paths"])

    def test_the_docs_page_needs_no_external_script(self, client):
        response = client.get("/api/v1/docs/")

        html = response.content.decode()
        assert response.status_code == 200
        assert "/api/v1/roster/" in html
        assert "cdn" not in html.lower()
