"""Item statistics for editors: facility, discrimination, options chosen, CSV."""

from __future__ import annotations

import csv
import io
from types import SimpleNamespace

import pytest
from django.urls import reverse

from accounts.roles import Role
from learning.item_stats import item_statistics
from learning.models import Attempt, ModulePage
from learning.models.pages import Question
from tests.factories import StaffProfileFactory, UserFactory
from tests.factories.learning import make_module

pytestmark = pytest.mark.django_db

EASY = Question("e", "Easy?", "single", ["a", "b"], frozenset({0}), "")
HARD = Question("h", "Hard?", "single", ["a", "b"], frozenset({0}), "")


def attempt(score, missed, answers=None):
    paper = [
        {"question": "e", "options": EASY.keys},
        {"question": "h", "options": HARD.keys},
    ]
    return SimpleNamespace(
        paper=paper,
        answers=answers or {},
        missed_question_ids=missed,
        score_percent=score,
    )


def test_facility_discrimination_and_flags_follow_the_attempts():
    attempts = [
        attempt(100, []),
        attempt(100, []),
        attempt(50, ["h"]),
        attempt(50, ["h"]),
    ]
    attempts[0].answers = {"h": [HARD.keys[0]]}
    easy, hard = item_statistics([EASY, HARD], attempts)
    assert (easy.attempts, easy.facility, easy.flag) == (
        4,
        100,
        "Everyone gets this right",
    )
    assert easy.discrimination == 0
    assert hard.facility == 50
    assert hard.discrimination == 1.0  # top group right, bottom group wrong
    assert hard.chosen[HARD.keys[0]] == 1


def test_no_attempts_means_no_figures():
    (easy,) = item_statistics([EASY], [])
    assert (easy.attempts, easy.facility, easy.discrimination) == (0, None, None)


def test_editors_see_the_report_and_a_csv_with_formula_text_defused(client):
    module = make_module(
        questions=[
            {
                "text": '=HYPERLINK("x") is this CSE?',
                "kind": "single",
                "options": [{"text": "Yes", "correct": True}, {"text": "No"}],
                "explanation": "",
            },
            {
                "text": "Second?",
                "kind": "single",
                "options": [{"text": "Yes", "correct": True}, {"text": "No"}],
                "explanation": "",
            },
        ]
    )
    q = module.questions()
    for n, missed in enumerate([[], [q[0].id], [q[0].id]]):
        Attempt.objects.create(
            person=StaffProfileFactory(),
            module=module,
            token=f"00000000-0000-0000-0000-00000000000{n}",
            submitted_on="2026-12-01",
            answers={q[0].id: [q[0].keys[0]]},
            paper=[{"question": x.id, "options": x.keys} for x in q],
            missed_question_ids=missed,
            score_percent=100 - 50 * len(missed),
            passed=not missed,
            content_version=1,
        )
    client.force_login(UserFactory(roles=[Role.CONTENT_EDITOR]))
    url = reverse("learning_reports:item_statistics", args=[module.pk])
    body = client.get(url).content.decode()
    assert "Facility (%)" in body and ">33<" in body.replace(" ", "")
    response = client.get(url, {"format": "csv"})
    text = b"".join(response.streaming_content).decode()
    assert "'=HYPERLINK" in text
    assert "Everyone gets this right" in text  # the second question


def test_a_practitioner_cannot_read_item_statistics(client):
    module = make_module()
    client.force_login(UserFactory(roles=[Role.PRACTITIONER]))
    response = client.get(reverse("learning_reports:item_statistics", args=[module.pk]))
    assert response.status_code in {302, 403}


def test_on_the_demo_data_the_report_shows_facility_and_discrimination(client):
    from learning import demo
    from workforce.dates import today
    from workforce.demo import seed_workforce

    as_of = today()
    demo.seed(as_of=as_of, workforce=seed_workforce(as_of=as_of))
    module = ModulePage.objects.get(slug="understanding-cse")
    client.force_login(UserFactory(roles=[Role.CONTENT_EDITOR]))
    url = reverse("learning_reports:item_statistics", args=[module.pk])
    text = b"".join(client.get(url, {"format": "csv"}).streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == len(module.questions())
    shown = [row for row in rows if row["Attempts"] != "0"]
    assert len(shown) >= len(rows) // 2
    # Facility is a percentage and discrimination an index from -1 to 1.
    assert all(0 <= int(row["Facility (%)"]) <= 100 for row in shown)
    assert all(-1 <= float(row["Discrimination"]) <= 1 for row in shown)
    assert any(float(row["Discrimination"]) > 0 for row in shown)
    body = client.get(url).content.decode()
    assert "Facility (%)" in body and "Discrimination" in body


def test_editors_find_the_report_in_the_admin_menu(client):
    module = make_module(title="Menu module")
    client.force_login(UserFactory(roles=[Role.CONTENT_EDITOR]))
    index = reverse("learning_reports:item_statistics_index")
    assert index in client.get(reverse("wagtailadmin_home")).content.decode()
    listing = client.get(index).content.decode()
    detail = reverse("learning_reports:item_statistics", args=[module.pk])
    assert "Menu module" in listing and f'href="{detail}"' in listing
    client.force_login(UserFactory(roles=[Role.PRACTITIONER]))
    assert client.get(index).status_code in {302, 403}
