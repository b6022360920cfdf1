"""The demo county's training: modules, requirements and three years of history.

Deterministic (seeded per person and module, dates relative to ``as_of``) and
idempotent: a second run finds everything in place and adds nothing.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

from django.db import transaction

from learning.content import load_training_content
from learning.models import (
    Attempt,
    Completion,
    ExternalTraining,
    Feedback,
    ModulePage,
    Requirement,
    TrainingException,
    TrainingStatus,
)
from learning.papers import Paper, draw_paper
from learning.rules import ExceptionKind
from learning.services import record_exception, sync_training_status
from workforce.dates import add_months
from workforce.demo import SeededWorkforce
from workforce.models import JobRole, StaffProfile

CORE_MODULES = [
    "understanding-cse",
    "vulnerability-and-indicators",
    "responding-and-sustained-safeguarding",
]
EMOTIONAL_IMPACT = "emotional-impact-and-supervision"
FOSTER_CARERS = "foster-carers-specialist"
SEED_NAMESPACE = uuid.UUID("0b6f2b0e-3c1d-4e59-a3b5-6c1e9d2f4a77")
COMMENTS = [
    "The case studies felt close to real practice.",
    "Useful reminder of the definition and the language to avoid.",
    "Would like more on online exploitation.",
    "Clear and well paced.",
    "",
]
# (latest completion as months before as_of, extra days back) for the practitioner.
PRACTITIONER_PLAN = {
    "understanding-cse": "in_date",
    "vulnerability-and-indicators": "due_soon",
    "responding-and-sustained-safeguarding": "expired",
    EMOTIONAL_IMPACT: "never",
}


def _requirements(as_of: date) -> list[Requirement]:
    """Create the demo requirements once; later runs leave them as they are."""
    modules = {page.slug: page for page in ModulePage.objects.all()}
    frontline = list(JobRole.objects.filter(is_frontline=True))
    plans = [
        (slug, frontline, 12, add_months(as_of, -36), 90, 30) for slug in CORE_MODULES
    ]
    # A newer requirement: in force from three weeks ago, so most people are not
    # yet due.
    plans.append((EMOTIONAL_IMPACT, frontline, 24, as_of - timedelta(days=21), 90, 60))
    plans.append(
        (
            FOSTER_CARERS,
            list(JobRole.objects.filter(slug="foster-carer")),
            12,
            add_months(as_of, -36),
            90,
            30,
        )
    )
    requirements = []
    for slug, roles, months, effective_from, due_days, soon in plans:
        module = modules.get(slug)
        if module is None or not roles:
            continue
        requirement = Requirement.objects.filter(module=module).first()
        if requirement is None:
            requirement = Requirement.objects.create(
                module=module,
                effective_from=effective_from,
                initial_due_days=due_days,
                renewal_months=months,
                due_soon_days=soon,
            )
            requirement.job_roles.set(roles)
        requirements.append(requirement)
    return requirements


def _latest_completion(
    rng: random.Random, outcome: str, requirement: Requirement, as_of: date
) -> date | None:
    months = requirement.renewal_months or 12
    if outcome == "in_date":
        return add_months(as_of, -rng.randint(1, months - 2)) - timedelta(
            days=rng.randint(0, 20)
        )
    if outcome == "due_soon":
        return add_months(as_of, -months) + timedelta(
            days=rng.randint(3, requirement.due_soon_days - 3)
        )
    if outcome == "expired":
        return add_months(as_of, -months) - timedelta(days=rng.randint(10, 200))
    return None


def _outcome(rng: random.Random, requirement: Requirement) -> str:
    if requirement.module.slug == EMOTIONAL_IMPACT:
        return rng.choice(["in_date", "in_date", "never", "never", "never"])
    return rng.choices(
        ["in_date", "due_soon", "expired", "never"], weights=[55, 15, 18, 12]
    )[0]


def _answers(
    rng: random.Random, module: ModulePage, wrong: int
) -> tuple[dict[str, list[str]], list[str], int, Paper]:
    """A paper drawn from the bank as a learner would get it, and answers to it."""
    bank = {q.id: q for q in module.questions()}
    paper = draw_paper(list(bank.values()), shown=module.questions_shown, rng=rng)
    questions = [bank[entry["question"]] for entry in paper]
    missed = rng.sample([q.id for q in questions], k=min(wrong, len(questions)))
    answers = {}
    for q in questions:
        if q.id in missed:
            answers[q.id] = [next(k for k in q.keys if k not in q.correct_keys)]
        else:
            answers[q.id] = sorted(q.correct_keys)
    score = round(100 * (len(questions) - len(missed)) / len(questions))
    return answers, missed, score, paper


@transaction.atomic
def seed(*, as_of: date, workforce: SeededWorkforce) -> str:
    """Load the modules, set requirements and give the county a training history."""
    loaded = load_training_content()
    requirements = _requirements(as_of)
    people = (
        StaffProfile.objects.filter(pk__in=[p.pk for p in workforce.people])
        .select_related("user")
        .order_by("pk")
    )
    already = set(Completion.objects.values_list("person_id", "module_id"))
    applies: dict[int, set[int]] = {}
    for requirement in requirements:
        applies[requirement.pk] = set(
            requirement.job_roles.values_list("pk", flat=True)
        )
    attempts: list[Attempt] = []
    passes: list[tuple[Attempt, date]] = []
    for person in people:
        for requirement in requirements:
            module = requirement.module
            if person.job_role_id not in applies[requirement.pk]:
                continue
            if (person.pk, module.pk) in already:
                continue
            rng = random.Random(f"{person.user.username}:{module.slug}")
            if person.user.username == "practitioner":
                outcome = PRACTITIONER_PLAN.get(module.slug, "in_date")
            else:
                outcome = _outcome(rng, requirement)
            latest = _latest_completion(rng, outcome, requirement, as_of)
            if latest is None:
                continue
            cycles = [latest]
            earliest = max(add_months(as_of, -36), person.started_in_role)
            months = requirement.renewal_months or 12
            while True:
                previous = add_months(cycles[-1], -months) - timedelta(
                    days=rng.randint(0, 30)
                )
                if previous < earliest:
                    break
                cycles.append(previous)
            for on in reversed(cycles):
                if rng.random() < 0.2:  # failed first, then passed the same day
                    answers, missed, score, paper = _answers(rng, module, 3)
                    attempts.append(
                        _attempt(person, module, on, answers, missed, score, paper)
                    )
                # A pass: with four questions shown the pass mark needs all four.
                answers, missed, score, paper = _answers(rng, module, 0)
                attempt = _attempt(person, module, on, answers, missed, score, paper)
                attempts.append(attempt)
                passes.append((attempt, on))
    Attempt.objects.bulk_create(attempts)
    completions = Completion.objects.bulk_create(
        [
            Completion(
                person_id=attempt.person_id,
                module_id=attempt.module_id,
                completed_on=on,
                score_percent=attempt.score_percent,
                content_version=attempt.content_version,
                revision_id=attempt.revision_id,
                attempt=attempt,
            )
            for attempt, on in passes
        ]
    )
    rng = random.Random(2017)
    Feedback.objects.bulk_create(
        [
            Feedback(
                completion=completion,
                rating=rng.choice([3, 4, 4, 5, 5]),
                comment=rng.choice(COMMENTS),
            )
            for completion in completions
            if rng.random() < 0.3
        ],
        ignore_conflicts=True,
    )
    changed = sync_training_status(as_of=as_of)
    extras = _exceptions_and_external(as_of=as_of, people=list(people))
    return (
        f"{loaded.summary()}; {len(requirements)} requirements; "
        f"{len(completions)} completions added; {changed} status rows changed"
        f"{extras}."
    )


def _attempt(
    person: StaffProfile,
    module: ModulePage,
    on: date,
    answers: dict[str, list[str]],
    missed: list[str],
    score: int,
    paper: Paper,
) -> Attempt:
    token = uuid.uuid5(
        SEED_NAMESPACE, f"{person.user.username}:{module.slug}:{on}:{len(missed)}"
    )
    return Attempt(
        person=person,
        module=module,
        token=token,
        submitted_on=on,
        answers=answers,
        paper=paper,
        missed_question_ids=missed,
        score_percent=score,
        passed=score >= module.pass_mark_percent,
        content_version=module.content_version,
        revision_id=module.live_revision_id,
    )


def _exceptions_and_external(*, as_of: date, people: list[StaffProfile]) -> str:
    """Give the manager something to see: an extension and training to approve."""
    if TrainingException.objects.exists():
        return ""
    manager = next((p for p in people if p.user.username == "manager"), None)
    if manager is None:
        return ""
    overdue = (
        TrainingStatus.objects.filter(
            person__organisation=manager.organisation,
            person__in=[p.pk for p in people],
        )
        .exclude(person__user__username="practitioner")
        .overdue(as_of)
        .select_related("person", "requirement__module")
        .order_by("person_id", "requirement_id")
    )
    rows = list(overdue[:2])
    if not rows:
        return ""
    record_exception(
        person=rows[0].person,
        requirement=rows[0].requirement,
        kind=ExceptionKind.EXTENSION,
        reason="sickness",
        until=as_of + timedelta(days=45),
        note="Back from sick leave; booked on the next course.",
        recorded_by=manager.user,
        as_of=as_of,
    )
    if len(rows) > 1:
        ExternalTraining.objects.get_or_create(
            person=rows[1].person,
            module=rows[1].requirement.module,
            title="Multi-agency CSE awareness day",
            defaults={
                "provider": "Northshire Safeguarding Children Partnership",
                "completed_on": as_of - timedelta(days=9),
                "evidence_reference": "NSCP-CSE-0412",
                "recorded_by": manager.user,
            },
        )
    return "; 1 extension and 1 external course to approve"
