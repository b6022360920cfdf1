"""The content check: the shipped modules pass it, and a module with the old
flaws fails on each rule."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from learning.content import MODULES_DIR
from learning.content_check import check_directory, check_module, citations

FIXTURES = Path(__file__).parent / "fixtures"


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def rules(problems) -> set[str]:
    return {p.rule for p in problems}


def test_the_module_with_the_old_flaws_fails_on_every_rule():
    problems = check_module(load(FIXTURES / "old-flaws.json"))
    assert rules(problems) >= {
        "position",
        "longest",
        "absolute",
        "case",
        "review",
        "sources",
    }
    assert any("'always'" in p.detail or "'only'" in p.detail for p in problems)


def test_a_bank_smaller_than_twice_the_questions_shown_fails():
    source = load(FIXTURES / "old-flaws.json")
    source["knowledge_check"]["questions_shown"] = 5
    assert "bank" in rules(check_module(source))
    source["knowledge_check"]["questions_shown"] = 0
    assert "bank" in rules(check_module(source))


def test_a_case_flag_on_a_one_line_question_does_not_count():
    source = load(FIXTURES / "old-flaws.json")
    for question in source["knowledge_check"]["questions"]:
        question["case"] = True
    problems = [p for p in check_module(source) if p.rule == "case"]
    assert any("too short" in p.detail for p in problems)


@pytest.mark.parametrize(
    ("last", "following"),
    [
        ("2026-13-01", "2027-01-01"),
        ("2026-12-01", "2026-11-01"),
        ("2026-12-01", "2031-01-01"),
        (None, None),
    ],
)
def test_review_dates_must_be_real_ordered_and_close(last, following):
    source = load(FIXTURES / "old-flaws.json")
    source.update(last_reviewed=last, next_review=following, research_basis="X")
    assert "review" in rules(check_module(source))


def test_citations_are_read_as_the_briefing_writes_them():
    text = (
        "<p>Rooted in norms (Coy, 2008; 2016a; Brayley et al., 2014), see "
        "(e.g. Myers and Carmi, 2016). Aged (8 to 11).</p>"
    )
    assert citations(text) == [
        ("Coy", "2008"),
        ("Coy", "2016a"),
        ("Brayley", "2014"),
        ("Myers", "2016"),
    ]


def test_a_citation_missing_from_the_reference_list_is_named():
    source = load(FIXTURES / "old-flaws.json")
    source.update(
        last_reviewed="2026-12-01", next_review="2027-12-01", research_basis="X"
    )
    problems = [p for p in check_module(source) if p.rule == "sources"]
    assert any("Melrose 2013" in p.detail for p in problems)
    fixed = copy.deepcopy(source)
    fixed["references"] = [
        "Melrose, M. (2013), cited in Coy, Sharp-Jeffs and Kelly (2017)"
    ]
    after = [p for p in check_module(fixed) if p.rule == "sources"]
    assert not any("Melrose 2013" in p.detail for p in after)


def test_the_command_fails_naming_each_problem(tmp_path, capsys):
    (tmp_path / "old.json").write_text((FIXTURES / "old-flaws.json").read_text())
    with pytest.raises(CommandError, match="problems in 1 modules"):
        call_command("check_training_content", directory=tmp_path)
    assert "[absolute]" in capsys.readouterr().err


def test_the_command_refuses_a_path_that_is_not_a_folder(tmp_path):
    with pytest.raises(CommandError, match="not a folder"):
        call_command("check_training_content", directory=tmp_path / "nope")


def test_an_unreadable_module_file_is_a_problem_not_a_crash(tmp_path):
    (tmp_path / "bad.json").write_bytes(b"\xff\xfe{")
    assert rules(check_directory(tmp_path)) == {"file"}


@pytest.mark.parametrize(
    "path", sorted(MODULES_DIR.glob("*.json")), ids=lambda p: p.stem
)
def test_every_shipped_module_passes_the_check(path):
    assert [str(p) for p in check_module(load(path), path.stem)] == []


def test_six_modules_ship_including_one_for_commissioners(capsys):
    call_command("check_training_content")
    assert "6 modules pass" in capsys.readouterr().out
    assert (MODULES_DIR / "commissioning-cse-services.json").exists()
