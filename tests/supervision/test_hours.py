"""Supervision hours over a chosen period, per person and team, against what a
policy requires pro rata; only finalised sessions in the period count, and only
the people the reader may see are listed."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from supervision.models import SupervisionPolicy, SupervisionSession
from supervision.rules import required_hours_for
from supervision.services import ensure_default_policies, sync_supervision_status
from tests.factories.supervision import SupervisionSessionFactory
from workforce.dates import today

pytestmark = pytest.mark.django_db


def _client(person) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(person.user)
    return client


def _period(start: date, end: date) -> dict[str, str]:
    return {
        "start-day": str(start.day),
        "start-month": str(start.month),
        "start-year": str(start.year),
        "end-day": str(end.day),
        "end-month": str(end.month),
        "end-year": str(end.year),
    }


class TestTheRule:
    @pytest.mark.parametrize(
        ("required", "months", "days", "expected"),
        [
            (None, 12, 365, None),
            (18, 12, 365, Decimal("18.0")),  # a year of monthly 90-minute sessions
            (18, 12, 91, Decimal("4.5")),  # a quarter
            (6, 3, 30, Decimal("2.0")),
        ],
    )
    def test_required_hours_are_pro_rata_for_the_period(
        self, required, months, days, expected
    ):
        start = date(2026, 1, 1)
        end = start + timedelta(days=days - 1)
        got = required_hours_for(
            required_hours=required, per_months=months, start=start, end=end
        )
        assert got == expected


class TestTheHoursPage:
    def test_a_supervisor_sees_their_supervisees_hours_against_the_policy(
        self, pair, make_person
    ):
        ensure_default_policies()
        SupervisionPolicy.objects.filter(is_default=True).update(
            required_hours=12, required_hours_months=12
        )
        supervisor, supervisee = pair
        stranger = make_person(
            Role.PRACTITIONER, supervisor=make_person(Role.SUPERVISOR)
        )
        end = today()
        start = end - timedelta(days=364)
        for held_on, minutes, state in (
            (start, 90, SupervisionSession.State.FINALISED),  # first day: counts
            (end, 60, SupervisionSession.State.FINALISED),  # last day: counts
            (start - timedelta(days=1), 90, SupervisionSession.State.FINALISED),
            (end - timedelta(days=10), 90, SupervisionSession.State.DRAFT),
            (end - timedelta(days=20), 90, SupervisionSession.State.CANCELLED),
        ):
            SupervisionSessionFactory(
                supervisor=supervisor,
                held_on=held_on,
                duration_minutes=minutes,
                state=state,
                cancelled_reason="Off sick" if state == "cancelled" else "",
                attendees=[supervisee],
            )
        SupervisionSessionFactory(
            supervisor=stranger.supervisor, held_on=end, attendees=[stranger]
        )
        sync_supervision_status(as_of=end)

        response = _client(supervisor).get(
            reverse("supervision:hours"), _period(start, end)
        )
        assert response.status_code == 200
        (row,) = response.context["rows"]
        assert row.person == supervisee
        assert (row.sessions, row.hours) == (2, Decimal("2.5"))
        assert row.required == Decimal("12.0") and row.short
        (team,) = response.context["teams"]
        assert (team.people, team.hours, team.short) == (1, Decimal("2.5"), 1)
        assert stranger.full_name not in response.content.decode()
        assert "Below" in response.content.decode()

    @pytest.mark.parametrize(
        ("shift", "field", "message"),
        [
            ({"end": 1}, "end", "today or earlier"),
            ({"start": 400}, "start", "on or before the last"),
            ({"start": -800}, "start", "24 months or less"),
        ],
    )
    def test_a_bad_period_shows_beside_its_field(self, pair, shift, field, message):
        supervisor, _ = pair
        end = today() + timedelta(days=shift.get("end", 0))
        start = today() - timedelta(days=30) + timedelta(days=shift.get("start", 0))
        response = _client(supervisor).get(
            reverse("supervision:hours"), _period(start, end)
        )
        assert response.status_code == 400
        assert any(message in e for e in response.context["form"].errors[field])
        assert response.context["rows"] == []

    def test_a_practitioner_cannot_open_it(self, pair):
        _, supervisee = pair
        assert _client(supervisee).get(reverse("supervision:hours")).status_code == 403
