"""Currency: each module shows when it was last reviewed and is next due, and
editors get a report of modules overdue for review."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from learning.content import ContentError, load_training_content, parse_module
from learning.models import ModulePage, SenseCheck, SenseCheckRole
from learning.models.pages import review_status
from tests.factories import UserFactory
from tests.factories.learning import make_module

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("next_review", "expected"),
    [
        (None, "Overdue"),
        (date(2026, 12, 2), "Overdue"),
        (date(2026, 12, 3), "Due soon"),
        (date(2027, 1, 31), "Due soon"),
        (date(2027, 2, 2), "In date"),
    ],
)
def test_review_status_follows_the_dates(next_review, expected):
    assert review_status(next_review, date(2026, 12, 3)) == expected


def test_an_impossible_review_date_in_a_module_file_is_refused():
    source = {
        "slug": "x",
        "title": "X",
        "summary": "S",
        "learning_outcomes": ["O"],
        "audience": "A",
        "estimated_minutes": 5,
        "content_version": 1,
        "sections": [{"heading": "H", "blocks": []}],
        "knowledge_check": {
            "questions": [
                {
                    "text": "Q",
                    "kind": "single",
                    "options": [{"text": "a", "correct": True}, {"text": "b"}],
                }
            ]
        },
        "last_reviewed": "2026-02-30",
    }
    with pytest.raises(ContentError, match="last_reviewed '2026-02-30' is not a date"):
        parse_module(source, "x.json")
    source["last_reviewed"] = "2026-12-01"
    source["next_review"] = "2026-11-01"
    with pytest.raises(ContentError, match="next_review must fall after"):
        parse_module(source, "x.json")


def test_every_shipped_module_shows_its_review_dates_and_references(
    client, make_person
):
    load_training_content()
    client.force_login(make_person(Role.PRACTITIONER).user)
    for module in ModulePage.objects.live():
        assert module.last_reviewed and module.next_review
        first = client.get(module.url).content.decode()
        assert "Last reviewed 3 December 2026; next review 3 December 2027" in first
        assert "Coy, Sharp-Jeffs and Kelly (2017)" in first
        last = client.get(f"{module.url}?section={len(module.sections)}")
        assert "Key messages from research on child sexual exploitation" in (
            last.content.decode()
        )


def test_the_review_report_lists_overdue_modules_first_with_the_last_sense_check(
    client,
):
    today = timezone.localdate()
    current = make_module(title="Current module", slug="current")
    current.next_review = today + timedelta(days=300)
    current.save()
    stale = make_module(title="Stale module", slug="stale")
    stale.last_reviewed = date(2023, 1, 1)
    stale.next_review = date(2024, 1, 1)
    stale.save()
    SenseCheck.objects.create(
        page=stale,
        checked_on=date(2023, 1, 5),
        reviewed_by=SenseCheckRole.PRACTITIONERS,
        what_changed="Clearer case studies.",
    )
    client.force_login(UserFactory(roles=[Role.CONTENT_EDITOR]))
    body = client.get(reverse("learning_reports:reviews")).content.decode()
    assert body.index("Stale module") < body.index("Current module")
    assert "Overdue" in body
    assert "In date" in body
    csv = client.get(reverse("learning_reports:reviews"), {"export": "csv"})
    text = b"".join(csv.streaming_content).decode()
    assert "Stale module,Overdue,2023-01-01,2024-01-01,2023-01-05" in text


def test_a_practitioner_cannot_read_the_review_report(client):
    client.force_login(UserFactory(roles=[Role.PRACTITIONER]))
    response = client.get(reverse("learning_reports:reviews"))
    assert response.status_code in {302, 403}
