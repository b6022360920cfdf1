"""Item statistics for editors, as Moodle's quiz statistics give them.

Per question: attempts that showed it, facility (% right), a discrimination
index (share right in the top 27% of attempts by score minus the share right
in the bottom 27%) and how often each option was chosen. Items everyone or
nobody gets right are flagged. Pure: the caller passes the attempts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from learning.models.pages import Question

GROUP_SHARE = 0.27


@dataclass
class ItemStats:
    question: Question
    attempts: int = 0
    right: int = 0
    facility: int | None = None
    discrimination: float | None = None
    chosen: Counter[str] = field(default_factory=Counter)

    @property
    def flag(self) -> str:
        if self.facility == 100:
            return "Everyone gets this right"
        if self.facility == 0:
            return "Nobody gets this right"
        return ""


def item_statistics(
    questions: Sequence[Question], attempts: Iterable[Any]
) -> list[ItemStats]:
    """``attempts``: objects with ``paper``, ``answers``, ``missed_question_ids``
    and ``score_percent``, as stored on an Attempt."""
    stats = {q.id: ItemStats(question=q) for q in questions}
    rows = sorted(attempts, key=lambda a: a.score_percent)
    size = max(1, round(len(rows) * GROUP_SHARE)) if rows else 0
    lower, upper = rows[:size], rows[len(rows) - size :]
    for attempt in rows:
        missed = set(attempt.missed_question_ids)
        for entry in attempt.paper:
            item = stats.get(entry.get("question"))
            if item is None:
                continue
            item.attempts += 1
            item.right += item.question.id not in missed
            item.chosen.update(attempt.answers.get(item.question.id, ()))
    for item in stats.values():
        if item.attempts:
            item.facility = round(100 * item.right / item.attempts)
        if len(rows) >= 2:
            shares = []
            for group in (upper, lower):
                shown = [a for a in group if _shown(a, item.question.id)]
                if not shown:
                    break
                right = sum(
                    item.question.id not in a.missed_question_ids for a in shown
                )
                shares.append(right / len(shown))
            if len(shares) == 2:
                item.discrimination = round(shares[0] - shares[1], 2)
    return list(stats.values())


def _shown(attempt: Any, question_id: str) -> bool:
    return any(entry.get("question") == question_id for entry in attempt.paper)


def option_summary(item: ItemStats) -> str:
    """'Option text: n' for each option, in authored order, right ones marked."""
    q = item.question
    parts = []
    for index, (key, text) in enumerate(zip(q.keys, q.options, strict=True)):
        mark = " (right)" if index in q.correct else ""
        parts.append(f"{text}{mark}: {item.chosen.get(key, 0)}")
    return "; ".join(parts)
