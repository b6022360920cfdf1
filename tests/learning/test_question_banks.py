"""Knowledge checks drawn from a bank: guessing by position fails, fails teach
without giving answers away, and retakes see different items."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from learning.content import MODULES_DIR, parse_module
from learning.models import Attempt, ModulePage
from learning.models.pages import Question
from learning.papers import draw_paper, mark_paper, retake_open
from tests.factories.learning import (
    RequirementFactory,
    check_form,
    html_paper,
    make_module,
    right_answers,
)
from tests.factories.workforce import JobRoleFactory, StaffProfileFactory


def bank_from_file(path) -> tuple[dict[str, Question], int, int]:
    """The questions of a module file as the marker sees them, with no database."""
    fields = parse_module(json.loads(path.read_text()), path.name)
    bank = {}
    for block in fields["knowledge_check"]:
        value = block["value"]
        bank[block["id"]] = Question(
            id=block["id"],
            text=value["text"],
            kind=value["kind"],
            options=[o["text"] for o in value["options"]],
            correct=frozenset(
                i for i, o in enumerate(value["options"]) if o["correct"]
            ),
            explanation=value["explanation"],
            section=value["section"],
        )
    return bank, fields["questions_shown"], fields["pass_mark_percent"]


MODULE_FILES = sorted(MODULES_DIR.glob("*.json"))


@pytest.mark.parametrize("path", MODULE_FILES, ids=lambda p: p.stem)
def test_answering_by_position_passes_under_two_percent_of_200_attempts(path):
    bank, shown, pass_mark = bank_from_file(path)
    rng = random.Random(path.stem)
    passes = 0
    for _ in range(200):
        paper = draw_paper(list(bank.values()), shown=shown, rng=rng)
        # First option for single choice; every option but the last for "select all".
        answers = {
            e["question"]: (
                e["options"][:1]
                if bank[e["question"]].kind == "single"
                else e["options"][:-1]
            )
            for e in paper
        }
        missed = mark_paper(bank, paper, answers)
        score = round(100 * (len(paper) - len(missed)) / len(paper))
        passes += score >= pass_mark
    assert passes / 200 < 0.02


@pytest.mark.parametrize("path", MODULE_FILES, ids=lambda p: p.stem)
def test_the_bank_holds_twice_the_questions_shown_and_each_names_its_section(path):
    bank, shown, _ = bank_from_file(path)
    assert shown >= 1
    assert len(bank) >= 2 * shown
    assert all(q.section for q in bank.values())


def test_options_are_shuffled_and_marking_follows_identity_not_position():
    bank, shown, _ = bank_from_file(MODULE_FILES[0])
    rng = random.Random(1)
    papers = [draw_paper(list(bank.values()), shown=shown, rng=rng) for _ in range(50)]
    first_keys = {(e["question"], e["options"][0]) for p in papers for e in p}
    # Across 50 papers, questions open on more than one option.
    assert len(first_keys) > len({q for q, _ in first_keys})
    for paper in papers:
        right = {e["question"]: sorted(bank[e["question"]].correct_keys) for e in paper}
        assert mark_paper(bank, paper, right) == []


def test_a_retake_opens_after_revisiting_or_after_the_wait():
    failed = timezone.now()
    kwargs = {"failed_at": failed, "to_revisit": [2, 4], "wait_hours": 24}
    later = failed + timedelta(minutes=5)
    assert not retake_open(visits={}, now=later, **kwargs)
    assert not retake_open(visits={2: later}, now=later, **kwargs)
    assert not retake_open(
        visits={2: later, 4: failed - timedelta(hours=1)}, now=later, **kwargs
    )
    assert retake_open(visits={2: later, 4: later}, now=later, **kwargs)
    assert retake_open(visits={}, now=failed + timedelta(hours=24), **kwargs)


BANK = [
    {
        "text": f"Question {n} about section {1 + n % 3}?",
        "kind": "single",
        "options": [
            {"text": f"Right answer {n}", "correct": True},
            {"text": f"Wrong answer {n}a", "correct": False},
            {"text": f"Wrong answer {n}b", "correct": False},
            {"text": f"Wrong answer {n}c", "correct": False},
        ],
        "explanation": f"Explanation {n}.",
        "section": 1 + n % 3,
    }
    for n in range(8)
]


@pytest.fixture
def module():
    module = make_module("Banked module", questions=BANK, sections=3)
    module.questions_shown = 4
    module.save_revision().publish()
    module.refresh_from_db()
    return module


@pytest.fixture
def learner(module):
    role = JobRoleFactory()
    RequirementFactory(module=module, job_roles=[role])
    return StaffProfileFactory(job_role=role)


def wrong_everywhere(module: ModulePage) -> dict[str, list[str]]:
    return {
        q.id: [next(k for k in q.keys if k not in q.correct_keys)]
        for q in module.questions()
    }


def submit(client, module, form):
    return client.post(reverse("learning:knowledge_check", args=[module.pk]), form)


@pytest.mark.django_db
class TestAttemptsAsALearner:
    def test_a_failed_result_names_the_sections_and_never_the_right_option(
        self, client, module, learner
    ):
        client.force_login(learner.user)
        form = check_form(client, module, wrong_everywhere(module))
        response = submit(client, module, form)
        result = unescape(client.get(response.url).content.decode())
        attempt = Attempt.objects.get(person=learner)
        assert not attempt.passed and len(attempt.missed_question_ids) == 4
        bank = {q.id: q for q in module.questions()}
        for qid in attempt.missed_question_ids:
            question = bank[qid]
            assert question.text in result
            assert question.options[min(question.correct)] not in result
            assert question.explanation not in result
            assert f"?section={question.section}" in result
        assert "The right answer" not in result

    def test_the_retake_waits_for_the_sections_then_draws_different_items(
        self, client, module, learner
    ):
        client.force_login(learner.user)
        form = check_form(client, module, wrong_everywhere(module))
        first_paper = html_paper_from(form)
        submit(client, module, form)
        attempt = Attempt.objects.get(person=learner)
        assert attempt.paper == first_paper
        url = reverse("learning:knowledge_check", args=[module.pk])
        blocked = client.get(url).content.decode()
        assert "Before you try again" in blocked
        assert 'name="paper"' not in blocked
        bank = {q.id: q for q in module.questions()}
        for section in {bank[q].section for q in attempt.missed_question_ids}:
            client.get(f"{module.url}?section={section}")
        form = check_form(client, module, right_answers(module))
        second_paper = html_paper_from(form)
        assert [e["question"] for e in second_paper] != [
            e["question"] for e in first_paper
        ]
        # The bank holds twice what is shown, so none of the first items repeat.
        assert not {e["question"] for e in second_paper} & {
            e["question"] for e in first_paper
        }
        response = submit(client, module, form)
        latest = Attempt.objects.filter(person=learner).order_by("-pk").first()
        assert latest.passed and latest.paper == second_paper
        assert Attempt.objects.filter(person=learner).count() == 2
        review = unescape(client.get(response.url).content.decode())
        assert "You passed" in review
        for entry in second_paper:
            assert bank[entry["question"]].explanation in review

    def test_an_answer_sent_by_position_or_a_forged_paper_is_refused(
        self, client, module, learner
    ):
        client.force_login(learner.user)
        form = check_form(client, module, right_answers(module))
        qid = html_paper_from(form)[0]["question"]
        form[f"q-{qid}"] = ["0"]
        assert submit(client, module, form).status_code == 400
        form["paper"] = form["paper"][:-2] + "xx"
        assert submit(client, module, form).status_code == 400
        assert not Attempt.objects.exists()


def html_paper_from(form: dict) -> list[dict]:
    return html_paper(f'name="paper" value="{form["paper"]}"')
