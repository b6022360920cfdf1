"""Foster carers are not staff: adding them changes no figure a commissioner reads."""

import re
from datetime import date

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tokens import issue_token
from commissioning.reports import table_for
from commissioning.reports.common import provider_scope
from tests.factories import JobRoleFactory
from tests.factories.commissioning import (
    _ladder,
    _session,
    _training,
    build_county,
    d,
)
from tests.factories.workforce import CaseloadSnapshotFactory, StaffProfileFactory
from workforce.contracts import save_contract
from workforce.models import CommissioningContract, PersonKind

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
SEGMENTS = ["coverage", "supervision", "checkins", "caseload", "staffing", "forecast"]


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    for module in ("commissioning.views", "commissioning.api"):
        monkeypatch.setattr(f"{module}.today", lambda: date(2026, 3, 15))


def figures(county, client) -> dict[str, object]:
    """Everything a commissioner can read: each API segment, provider and team
    level, and the dashboard and provider report pages and their exports."""
    api = APIClient()
    _, key = issue_token(user=county.commissioner.user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    read: dict[str, object] = {}
    for segment in SEGMENTS:
        read[segment] = api.get(f"/api/v1/{segment}/").json()
        read[f"{segment}/alpha"] = api.get(
            f"/api/v1/{segment}/", {"provider": county.alpha.pk}
        ).json()
    client.force_login(county.commissioner.user)
    for name, args in [
        ("commissioning:dashboard", []),
        ("commissioning:provider_report", [county.alpha.pk]),
        ("commissioning:export_table", ["supervision", "csv"]),
        ("commissioning:export_table", ["coverage", "csv"]),
        ("commissioning:export_provider_table", [county.alpha.pk, "staffing", "csv"]),
        ("commissioning:export_provider_table", [county.alpha.pk, "caseload", "csv"]),
    ]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, name
        content = (
            b"".join(response.streaming_content)
            if response.streaming
            else response.content
        )
        # Pages differ by their sign-out form's one-time token only.
        read[f"{name}{args}"] = CSRF.sub("", content.decode())
    return read


def add_carers(county) -> None:
    # Seven carers in Alpha's team A1: enough to lift any suppressed group,
    # overdue for supervision and training, holding caseloads, one a manager.
    carer_role = JobRoleFactory(slug="foster-carer", name="Foster carer")
    manager_role = JobRoleFactory(slug="fc-lead", is_manager=True)
    carers = [
        StaffProfileFactory(
            organisation=county.alpha,
            team=county.team_a1 if n % 2 else county.team_a2,
            job_role=manager_role if n == 0 else carer_role,
            kind=PersonKind.FOSTER_CARER,
        )
        for n in range(7)
    ]
    for carer in carers:
        CaseloadSnapshotFactory(person=carer, taken_on=d("2026-03-01"), open_cases=30)
        _training(
            carer,
            county.requirement,
            first_due_on=d("2026-01-01"),
            deadline=d("2026-01-01"),
            due_soon_from=d("2025-12-02"),
        )
        _ladder(
            carer,
            "2025-12-01",
            "2026-01-01",
            "2025-12-25",
            "2026-01-15",
            "2026-02-01",
        )
    _session(
        carers[0],
        "2026-03-01",
        carers[1:],
        wellbeing=True,
        scores=[(9, True)] * 6,
    )


class TestFosterCarersAreNotStaff:
    def test_adding_foster_carers_leaves_every_staff_figure_unchanged(self, client):
        county = build_county()
        before = figures(county, client)

        add_carers(county)

        after = figures(county, client)

        assert after == before


def _rows(county, key: str) -> dict[str, dict]:
    scope = provider_scope(county.commissioner.user, as_of=date(2026, 3, 15))
    table = table_for(scope, key)
    return {row["provider"]: dict(row) for row in table.rows}


class TestAContractThatCountsFosterCarers:
    def test_its_carers_count_in_supervision_and_in_nothing_else(self):
        county = build_county()
        add_carers(county)
        before = {key: _rows(county, key) for key in ("supervision", "staffing")}
        contract = CommissioningContract.objects.get(
            commissioner=county.commissioner.organisation, provider=county.alpha
        )
        contract.foster_carers_in_supervision = True
        save_contract(contract=contract, actor=county.commissioner.user)

        supervision = _rows(county, "supervision")
        staffing = _rows(county, "staffing")

        alpha, alpha_before = supervision["Alpha"], before["supervision"]["Alpha"]
        # The seven carers, each escalated on their ladder, now count.
        assert alpha["people_required"] == alpha_before["people_required"] + 7
        assert alpha["escalated_twice"] > alpha_before["escalated_twice"]
        assert supervision["Beta"] == before["supervision"]["Beta"]
        assert staffing == before["staffing"]
