"""Knowledge-check papers: which questions an attempt shows, in which order.

A paper is a list of ``{"question": id, "options": [key, ...]}``: the questions
drawn from the bank and each one's option keys in the order shown. It is drawn
on the server, signed into the form, and stored with the attempt, so marking and
review follow exactly what the learner saw. These functions are pure: the
caller passes the random source and the previous paper.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core import signing

from learning.models.pages import Question

Paper = list[dict[str, Any]]

_SALT = "learning.papers"


def draw_paper(
    questions: Sequence[Question],
    *,
    shown: int,
    rng: random.Random,
    previous: Paper | None = None,
) -> Paper:
    """Draw ``shown`` questions spread across sections, options shuffled.

    Questions the previous attempt showed are drawn only when the unseen ones
    run out, so a retake sees different items wherever the bank allows; and a
    paper identical to the previous one is redrawn.
    """
    count = len(questions) if shown <= 0 else min(shown, len(questions))
    seen = {entry["question"] for entry in previous or []}
    for _ in range(20):
        paper = _draw_once(questions, count, rng, seen)
        if not previous or paper != previous or len(questions) < 2:
            return paper
    return paper


def _draw_once(
    questions: Sequence[Question], count: int, rng: random.Random, seen: set[str]
) -> Paper:
    pools: dict[int | None, list[Question]] = defaultdict(list)
    for question in questions:
        pools[question.section].append(question)
    for pool in pools.values():
        rng.shuffle(pool)
        # Unseen first, in random order within each group.
        pool.sort(key=lambda q: q.id in seen)
    order = list(pools)
    rng.shuffle(order)
    chosen: list[Question] = []
    # Take one from each section in turn, unseen before seen.
    for want_seen in (False, True):
        progress = True
        while len(chosen) < count and progress:
            progress = False
            for section in order:
                pool = pools[section]
                for question in pool:
                    if (question.id in seen) == want_seen and question not in chosen:
                        chosen.append(question)
                        progress = True
                        break
                if len(chosen) >= count:
                    break
    rng.shuffle(chosen)
    paper: Paper = []
    for question in chosen:
        keys = question.keys
        rng.shuffle(keys)
        paper.append({"question": question.id, "options": keys})
    return paper


def mark_paper(
    bank: Mapping[str, Question], paper: Paper, answers: Mapping[str, Sequence[str]]
) -> list[str]:
    """The ids of the questions on ``paper`` answered wrongly, by option identity."""
    return [
        entry["question"]
        for entry in paper
        if frozenset(answers.get(entry["question"], ()))
        != bank[entry["question"]].correct_keys
    ]


def whole_bank(questions: Sequence[Question]) -> Paper:
    """Every question and option in authored order (imports and old attempts)."""
    return [{"question": q.id, "options": q.keys} for q in questions]


def sign_paper(paper: Paper, *, token: str, module_id: int, person_id: int) -> str:
    return signing.dumps(
        {"paper": paper, "token": token, "module": module_id, "person": person_id},
        salt=_SALT,
        compress=True,
    )


def unsign_paper(
    value: str, *, token: str, module_id: int, person_id: int
) -> Paper | None:
    """Return the paper the form was issued with, or None if it was tampered with."""
    try:
        data = signing.loads(value, salt=_SALT, max_age=timedelta(days=2))
    except signing.BadSignature:
        return None
    if (data.get("token"), data.get("module"), data.get("person")) != (
        token,
        module_id,
        person_id,
    ):
        return None
    paper = data.get("paper")
    return paper if isinstance(paper, list) else None


def sections_to_revisit(
    paper: Paper, missed: Sequence[str], questions: Sequence[Question]
) -> list[int]:
    """The sections that teach the questions missed, in module order."""
    by_id = {q.id: q for q in questions}
    return sorted(
        {
            section
            for qid in missed
            if (section := getattr(by_id.get(qid), "section", None)) is not None
        }
    )


def retake_open(
    *,
    failed_at: datetime,
    to_revisit: Sequence[int],
    visits: dict[int, datetime],
    wait_hours: int,
    now: datetime,
) -> bool:
    """After a fail: open once every section behind a miss was revisited, or later."""
    if now >= failed_at + timedelta(hours=wait_hours):
        return True
    return all(
        section in visits and visits[section] > failed_at for section in to_revisit
    )
