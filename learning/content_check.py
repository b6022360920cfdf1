"""The content check: rules a module file must meet before learners see it.

Each rule catches a way a knowledge check can be passed without understanding,
or a module can drift from its sources. ``check_module`` works on a module file
as loaded from JSON (see ``learning/content/modules/``) and returns the problems
found; an empty list means the module passes. ``manage.py check_training_content``
runs it over every shipped module.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from html import unescape
from pathlib import Path
from typing import Any

# Words that let a learner rule an option out without knowing the subject.
ABSOLUTE_WORDS = (
    "all",
    "always",
    "automatically",
    "completely",
    "entirely",
    "every",
    "everyone",
    "everything",
    "guaranteed",
    "must",
    "never",
    "nobody",
    "none",
    "nothing",
    "only",
    "purely",
    "totally",
)
_ABSOLUTE = re.compile(r"\b(" + "|".join(ABSOLUTE_WORDS) + r")\b", re.IGNORECASE)

MIN_BANK_RATIO = 2
MAX_LONGEST_SHARE = 0.40
MAX_POSITION_SHARE = 0.40
MAX_PATTERN_SHARE = 0.50
MIN_CASE_SHARE = 0.60
MIN_CASE_STEM = 100
MAX_REVIEW_YEARS = 3

_PAREN = re.compile(r"\(([^()]*?\b\d{4}[a-z]?\b[^()]*)\)")
_CITE = re.compile(
    r"^(?:e\.g\.\s*|see also\s+|see\s+|cited in\s+)?"
    r"(?P<name>[A-Z][^,;\d]*?)(?:,)?\s+(?P<year>\d{4}[a-z]?)\b"
)
_BARE_YEAR = re.compile(r"^(?P<year>\d{4}[a-z]?)\b")
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Problem:
    module: str
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.module}: [{self.rule}] {self.detail}"


def _plain(html: str) -> str:
    return unescape(_TAG.sub(" ", html))


def citations(text: str) -> list[tuple[str, str]]:
    """(first name word, year) for each parenthesised citation in ``text``.

    "(Coy, 2008; 2016a; Brayley et al., 2014)" gives Coy 2008, Coy 2016a and
    Brayley 2014. Parentheses without a four-digit year are not citations.
    """
    found = []
    for group in _PAREN.findall(_plain(text)):
        name = ""
        for part in (p.strip() for p in group.split(";")):
            cite = _CITE.match(part)
            if cite:
                name = cite["name"].split()[0]
                found.append((name, cite["year"]))
                continue
            bare = _BARE_YEAR.match(part)
            if bare and name:
                found.append((name, bare["year"]))
    return found


def _texts(source: dict[str, Any]) -> list[tuple[str, str]]:
    """Every piece of learner-facing text, with where it is."""
    out: list[tuple[str, str]] = [("summary", source.get("summary", ""))]
    for s, section in enumerate(source.get("sections", []), start=1):
        for b, block in enumerate(section.get("blocks", []), start=1):
            where = f"section {s} block {b}"
            for key in ("html", "text", "scenario", "prompt", "attribution"):
                if isinstance(block.get(key), str):
                    out.append((where, block[key]))
    for q, question in enumerate(_questions(source), start=1):
        out.append((f"question {q}", question.get("text", "")))
        out.append((f"question {q} explanation", question.get("explanation", "")))
    return out


def _questions(source: dict[str, Any]) -> list[dict[str, Any]]:
    return list(source.get("knowledge_check", {}).get("questions", []))


def references(source: dict[str, Any]) -> list[str]:
    """The module's reference list, and any further-reading citations."""
    refs = [str(r) for r in source.get("references", [])]
    for section in source.get("sections", []):
        for block in section.get("blocks", []):
            if block.get("type") == "further_reading":
                refs += [item.get("citation", "") for item in block.get("items", [])]
    return refs


def _cited_in(name: str, year: str, refs: list[str]) -> bool:
    word = re.compile(rf"\b{re.escape(name)}\b", re.IGNORECASE)
    return any(word.search(ref) and re.search(rf"\b{year}\b", ref) for ref in refs)


def _check_bank(slug: str, source: dict[str, Any]) -> list[Problem]:
    questions = _questions(source)
    shown = int(source.get("knowledge_check", {}).get("questions_shown", 0))
    if shown <= 0:
        return [
            Problem(slug, "bank", "questions_shown is 0: every attempt is the same")
        ]
    if len(questions) < MIN_BANK_RATIO * shown:
        return [
            Problem(
                slug,
                "bank",
                f"the bank holds {len(questions)} questions; showing {shown} "
                f"needs at least {MIN_BANK_RATIO * shown}",
            )
        ]
    return []


def _right(question: dict[str, Any]) -> list[int]:
    return [i for i, o in enumerate(question.get("options", [])) if o.get("correct")]


def _check_positions(slug: str, questions: list[dict[str, Any]]) -> list[Problem]:
    problems = []
    singles = [q for q in questions if q.get("kind") == "single"]
    if singles:
        positions = Counter(_right(q)[0] for q in singles if _right(q))
        position, count = positions.most_common(1)[0]
        if len(singles) >= 3 and count / len(singles) > MAX_POSITION_SHARE:
            problems.append(
                Problem(
                    slug,
                    "position",
                    f"the right answer is option {position + 1} in {count} of "
                    f"{len(singles)} single-choice questions",
                )
            )
    multiples = [q for q in questions if q.get("kind") == "multiple"]
    if len(multiples) >= 2:
        patterns = Counter(
            (len(q["options"]), tuple(_right(q))) for q in multiples
        ).most_common(1)
        (size, pattern), count = patterns[0]
        if count / len(multiples) > MAX_PATTERN_SHARE:
            ticked = ", ".join(str(i + 1) for i in pattern)
            problems.append(
                Problem(
                    slug,
                    "position",
                    f"{count} of {len(multiples)} select-all questions have the "
                    f"same right options ({ticked} of {size})",
                )
            )
    return problems


def _check_longest(slug: str, questions: list[dict[str, Any]]) -> list[Problem]:
    singles = [q for q in questions if q.get("kind") == "single" and _right(q)]
    if not singles:
        return []
    longest = 0
    for question in singles:
        lengths = [len(o["text"]) for o in question["options"]]
        right = lengths[_right(question)[0]]
        if all(right > n for i, n in enumerate(lengths) if i != _right(question)[0]):
            longest += 1
    if longest / len(singles) > MAX_LONGEST_SHARE:
        return [
            Problem(
                slug,
                "longest",
                f"the right answer is the longest option in {longest} of "
                f"{len(singles)} single-choice questions (most allowed "
                f"{int(MAX_LONGEST_SHARE * 100)}%)",
            )
        ]
    return []


def _check_absolutes(slug: str, questions: list[dict[str, Any]]) -> list[Problem]:
    problems = []
    for q, question in enumerate(questions, start=1):
        for option in question.get("options", []):
            if option.get("correct"):
                continue
            word = _ABSOLUTE.search(option.get("text", ""))
            if word:
                problems.append(
                    Problem(
                        slug,
                        "absolute",
                        f"question {q}: the wrong option {option['text']!r} gives "
                        f"itself away with {word.group(1)!r}",
                    )
                )
    return problems


def _check_cases(slug: str, questions: list[dict[str, Any]]) -> list[Problem]:
    if not questions:
        return []
    problems = []
    cases = 0
    for q, question in enumerate(questions, start=1):
        if not question.get("case"):
            continue
        if len(question.get("text", "")) < MIN_CASE_STEM:
            problems.append(
                Problem(
                    slug,
                    "case",
                    f"question {q} is marked as a case but its stem is under "
                    f"{MIN_CASE_STEM} characters, too short to describe one",
                )
            )
            continue
        cases += 1
    if cases / len(questions) < MIN_CASE_SHARE:
        problems.append(
            Problem(
                slug,
                "case",
                f"{cases} of {len(questions)} questions apply judgement to a case "
                f"(at least {int(MIN_CASE_SHARE * 100)}% should)",
            )
        )
    return problems


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _check_review(slug: str, source: dict[str, Any]) -> list[Problem]:
    last = _date(source.get("last_reviewed"))
    following = _date(source.get("next_review"))
    if last is None or following is None:
        return [
            Problem(
                slug,
                "review",
                "last_reviewed and next_review must be dates (YYYY-MM-DD)",
            )
        ]
    if not last < following <= last.replace(year=last.year + MAX_REVIEW_YEARS):
        return [
            Problem(
                slug,
                "review",
                f"next_review must fall after last_reviewed and within "
                f"{MAX_REVIEW_YEARS} years of it",
            )
        ]
    if not str(source.get("research_basis", "")).strip():
        return [Problem(slug, "review", "research_basis is missing")]
    return []


def _check_sources(slug: str, source: dict[str, Any]) -> list[Problem]:
    refs = references(source)
    if not refs:
        return [Problem(slug, "sources", "the module has no reference list")]
    problems = []
    seen = set()
    for where, text in _texts(source):
        for name, year in citations(text):
            if (name, year) in seen or _cited_in(name, year, refs):
                seen.add((name, year))
                continue
            seen.add((name, year))
            problems.append(
                Problem(
                    slug,
                    "sources",
                    f"{where} cites {name} {year}, which is not in the reference list",
                )
            )
    return problems


def check_module(source: dict[str, Any], name: str = "") -> list[Problem]:
    """Every problem in one module file; an empty list means it passes."""
    slug = str(source.get("slug") or name or "module")
    questions = _questions(source)
    return [
        *_check_bank(slug, source),
        *_check_positions(slug, questions),
        *_check_longest(slug, questions),
        *_check_absolutes(slug, questions),
        *_check_cases(slug, questions),
        *_check_review(slug, source),
        *_check_sources(slug, source),
    ]


def check_directory(directory: Path) -> list[Problem]:
    problems: list[Problem] = []
    for path in sorted(directory.glob("*.json")):
        try:
            source = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            problems.append(Problem(path.name, "file", f"cannot be read: {error}"))
            continue
        problems += check_module(source, path.stem)
    return problems
