"""Every change to learning records: typed, keyword-only, atomic.

Each service updates the people's status rows in the same transaction, through
:func:`sync_training_status`, so a status is never stale after an event.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, TypedDict

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from learning.events import completion_recorded
from learning.models import (
    Attempt,
    Completion,
    ExternalTraining,
    Feedback,
    ModulePage,
    Requirement,
    SectionProgress,
    TrainingException,
    TrainingStatus,
)
from learning.rules import ExceptionKind, StatusDates, first_due_on, status_dates
from workforce.models import StaffProfile

if TYPE_CHECKING:
    from accounts.models import User

SYNC_CHUNK = 500
STATUS_FIELDS = (
    "first_due_on",
    "last_completed_on",
    "valid_until",
    "deadline",
    "due_soon_from",
    "exception_kind",
    "exception_until",
)


class LearningError(Exception):
    """A request the rules refuse; the message is written for the user."""


class InvalidAnswers(LearningError):
    """A knowledge-check submission that is missing, unknown or malformed."""


class InvalidException(LearningError):
    """An exception that breaks the rules (for example an extension too early)."""


class InvalidExternalTraining(LearningError):
    """External training that cannot be recorded or approved."""


class PersonFacts(TypedDict):
    """What the rules read about a person (one ``values()`` row)."""

    id: int
    job_role_id: int
    organisation_id: int
    started_in_role: date
    left_on: date | None
    long_term_absence_from: date | None


@dataclass(frozen=True)
class MarkedAttempt:
    attempt: Attempt
    completion: Completion | None
    created: bool


# --- Status rows ----------------------------------------------------------------------


def _desired_rows(
    people: Sequence[PersonFacts],
    requirements: Sequence[Requirement],
    roles_of: Mapping[int, set[int]],
    orgs_of: Mapping[int, set[int]],
    *,
    as_of: date,
) -> dict[tuple[int, int], StatusDates]:
    """Work out every status row these people should have, with its dates."""
    person_ids = [p["id"] for p in people]
    module_ids = {r.module_id for r in requirements}
    completions: dict[tuple[int, int], list[tuple[date, int]]] = defaultdict(list)
    for person_id, module_id, completed_on, version in (
        Completion.objects.filter(person_id__in=person_ids, module_id__in=module_ids)
        .order_by("-completed_on")
        .values_list("person_id", "module_id", "completed_on", "content_version")
    ):
        completions[(person_id, module_id)].append((completed_on, version))
    exceptions: dict[tuple[int, int], TrainingException] = {}
    for exception in TrainingException.objects.filter(
        person_id__in=person_ids
    ).order_by("recorded_at", "pk"):
        exceptions[(exception.person_id, exception.requirement_id)] = exception

    desired: dict[tuple[int, int], StatusDates] = {}
    for person in people:
        for requirement in requirements:
            if person["job_role_id"] not in roles_of[requirement.pk]:
                continue
            orgs = orgs_of[requirement.pk]
            if orgs and person["organisation_id"] not in orgs:
                continue
            key = (person["id"], requirement.pk)
            last = next(
                (
                    on
                    for on, version in completions[
                        (person["id"], requirement.module_id)
                    ]
                    if version >= requirement.minimum_version
                ),
                None,
            )
            kind, until = "", None
            latest_exception = exceptions.get(key)
            if latest_exception is not None:
                kind, until = latest_exception.kind, latest_exception.until
            absence_from = person["long_term_absence_from"]
            if absence_from is not None and absence_from <= as_of and not kind:
                kind = ExceptionKind.LONG_TERM_ABSENCE
            desired[key] = status_dates(
                first_due=first_due_on(
                    started_in_role=person["started_in_role"],
                    effective_from=requirement.effective_from,
                    initial_due_days=requirement.initial_due_days,
                ),
                last_completed_on=last,
                renewal_months=requirement.renewal_months,
                due_soon_days=requirement.due_soon_days,
                exception_kind=kind,
                exception_until=until,
            )
    return desired


def sync_training_status(
    *, person_ids: Iterable[int] | None = None, as_of: date
) -> int:
    """Bring status rows in line with the rules; return how many rows changed.

    ``None`` means everyone. People who have left lose their rows. Works in chunks
    of people with a fixed number of queries each; a second run changes nothing.
    """
    requirements = list(Requirement.objects.all())
    roles_of: dict[int, set[int]] = defaultdict(set)
    orgs_of: dict[int, set[int]] = defaultdict(set)
    for req_id, role_id in Requirement.job_roles.through.objects.values_list(
        "requirement_id", "jobrole_id"
    ):
        roles_of[req_id].add(role_id)
    for req_id, org_id in Requirement.organisations.through.objects.values_list(
        "requirement_id", "organisation_id"
    ):
        orgs_of[req_id].add(org_id)

    people_qs = StaffProfile.objects.order_by("pk")
    if person_ids is not None:
        people_qs = people_qs.filter(pk__in=list(person_ids))
    changed = 0
    last_pk = 0
    while True:
        chunk: list[PersonFacts] = list(
            people_qs.filter(pk__gt=last_pk).values(
                "id",
                "job_role_id",
                "organisation_id",
                "started_in_role",
                "left_on",
                "long_term_absence_from",
            )[:SYNC_CHUNK]
        )
        if not chunk:
            return changed
        last_pk = chunk[-1]["id"]
        active = [p for p in chunk if p["left_on"] is None or p["left_on"] >= as_of]
        with transaction.atomic():
            changed += _sync_chunk(
                [p["id"] for p in chunk],
                _desired_rows(active, requirements, roles_of, orgs_of, as_of=as_of),
            )


def _sync_chunk(
    person_ids: list[int], desired: dict[tuple[int, int], StatusDates]
) -> int:
    existing = {
        (row.person_id, row.requirement_id): row
        for row in TrainingStatus.objects.filter(person_id__in=person_ids)
    }
    to_create, to_update = [], []
    for key, dates in desired.items():
        values = {field: getattr(dates, field) for field in STATUS_FIELDS}
        row = existing.get(key)
        if row is None:
            to_create.append(
                TrainingStatus(person_id=key[0], requirement_id=key[1], **values)
            )
        elif any(getattr(row, f) != v for f, v in values.items()):
            for field, value in values.items():
                setattr(row, field, value)
            to_update.append(row)
    stale = [row.pk for key, row in existing.items() if key not in desired]
    if to_create:
        TrainingStatus.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        TrainingStatus.objects.bulk_update(
            to_update, [*STATUS_FIELDS, "updated_at"], batch_size=200
        )
    if stale:
        TrainingStatus.objects.filter(pk__in=stale).delete()
    return len(to_create) + len(to_update) + len(stale)


def requirement_changed(*, requirement_id: int, as_of: date) -> int:
    """Re-sync everyone a requirement applies to now, or did before this change."""
    affected = set(
        TrainingStatus.objects.filter(requirement_id=requirement_id).values_list(
            "person_id", flat=True
        )
    )
    role_ids = Requirement.job_roles.through.objects.filter(
        requirement_id=requirement_id
    ).values("jobrole_id")
    affected |= set(
        StaffProfile.objects.filter(job_role_id__in=role_ids).values_list(
            "pk", flat=True
        )
    )
    return sync_training_status(person_ids=affected, as_of=as_of)


# --- Knowledge checks and completions -------------------------------------------------


def _parse_answers(
    module: ModulePage, answers: Mapping[str, Sequence[str]]
) -> dict[str, list[int]]:
    """Check a submission whole; return question id to chosen option numbers."""
    questions = {q.id: q for q in module.questions()}
    if not questions:
        raise InvalidAnswers("This module has no knowledge check yet.")
    unknown = set(answers) - set(questions)
    if unknown:
        raise InvalidAnswers(
            "The answers do not match this knowledge check. Reload the page and try "
            "again."
        )
    parsed: dict[str, list[int]] = {}
    for number, question in enumerate(questions.values(), start=1):
        raw = [value for value in answers.get(question.id, []) if value != ""]
        if not raw:
            raise InvalidAnswers(f"Answer question {number}.")
        try:
            chosen = sorted({int(value) for value in raw})
        except (TypeError, ValueError):
            raise InvalidAnswers(
                f"Question {number} has an answer that is not one of its options."
            ) from None
        if any(not 0 <= choice < len(question.options) for choice in chosen):
            raise InvalidAnswers(
                f"Question {number} has an answer that is not one of its options."
            )
        if question.kind == "single" and len(chosen) != 1:
            raise InvalidAnswers(f"Choose one answer for question {number}.")
        parsed[question.id] = chosen
    return parsed


def submit_knowledge_check(
    *,
    person: StaffProfile,
    module: ModulePage,
    token: uuid.UUID,
    answers: Mapping[str, Sequence[str]],
    as_of: date,
) -> MarkedAttempt:
    """Mark a knowledge check; record the attempt, and a completion if it passed.

    The same ``token`` sent twice records one attempt and one completion: the
    database's unique constraint decides, and the second call gets the first result.
    Bad answers raise :class:`InvalidAnswers` and record nothing.
    """
    existing = _attempt_for_token(token, person)
    if existing is not None:
        return existing
    parsed = _parse_answers(module, answers)
    questions = module.questions()
    missed = [q.id for q in questions if frozenset(parsed[q.id]) != q.correct]
    score = round(100 * (len(questions) - len(missed)) / len(questions))
    passed = score >= module.pass_mark_percent
    revision_id = module.live_revision_id
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                person=person,
                module=module,
                token=token,
                submitted_on=as_of,
                answers={key: value for key, value in parsed.items()},
                missed_question_ids=missed,
                score_percent=score,
                passed=passed,
                content_version=module.content_version,
                revision_id=revision_id,
            )
            completion = None
            if passed:
                completion = Completion.objects.create(
                    person=person,
                    module=module,
                    completed_on=as_of,
                    score_percent=score,
                    content_version=module.content_version,
                    revision_id=revision_id,
                    attempt=attempt,
                )
                completion_recorded.send(sender=Completion, completion=completion)
                sync_training_status(person_ids=[person.pk], as_of=as_of)
    except IntegrityError:
        existing = _attempt_for_token(token, person)
        if existing is None:
            raise
        return existing
    return MarkedAttempt(attempt=attempt, completion=completion, created=True)


def _attempt_for_token(token: uuid.UUID, person: StaffProfile) -> MarkedAttempt | None:
    attempt = (
        Attempt.objects.filter(token=token, person=person)
        .select_related("completion")
        .first()
    )
    if attempt is None:
        if Attempt.objects.filter(token=token).exists():
            raise InvalidAnswers("This form has already been used. Start again.")
        return None
    completion = getattr(attempt, "completion", None)
    return MarkedAttempt(attempt=attempt, completion=completion, created=False)


@transaction.atomic
def save_section_progress(
    *, person: StaffProfile, module: ModulePage, sections_done: int
) -> SectionProgress:
    """Remember how many sections the learner has finished (it never goes back)."""
    progress, _ = SectionProgress.objects.get_or_create(person=person, module=module)
    sections = len(module.body)
    done = max(0, min(sections_done, sections))
    if done > progress.sections_done:
        progress.sections_done = done
        progress.save(update_fields=["sections_done", "updated_at"])
    return progress


@transaction.atomic
def give_feedback(*, completion: Completion, rating: int, comment: str) -> Feedback:
    """Record the learner's rating (1 to 5) and comment; a second try changes it."""
    if not 1 <= rating <= 5:
        raise LearningError("Choose a rating from 1 to 5.")
    feedback, _ = Feedback.objects.update_or_create(
        completion=completion, defaults={"rating": rating, "comment": comment.strip()}
    )
    return feedback


# --- Exceptions and external training -------------------------------------------------


@transaction.atomic
def record_exception(
    *,
    person: StaffProfile,
    requirement: Requirement,
    kind: str,
    reason: str,
    until: date | None,
    note: str = "",
    recorded_by: User,
    as_of: date,
) -> TrainingException:
    """Record an extension, exemption or long-term absence, and update the status."""
    if kind not in ExceptionKind.values:
        raise InvalidException("Choose the kind of exception.")
    row = (
        TrainingStatus.objects.select_for_update()
        .filter(person=person, requirement=requirement)
        .first()
    )
    if row is None:
        raise InvalidException("This requirement does not apply to this person.")
    if until is not None and until <= as_of:
        raise InvalidException("The date must be in the future.")
    if kind == ExceptionKind.EXTENSION:
        if until is None:
            raise InvalidException("Enter the date the extension runs to.")
        current = row.deadline
        if current is None:
            raise InvalidException("This training never expires: there is no deadline.")
        if until <= current:
            raise InvalidException(
                f"The extension must end after the current deadline, "
                f"{current.day} {current:%B %Y}."
            )
    exception = TrainingException.objects.create(
        person=person,
        requirement=requirement,
        kind=kind,
        reason=reason,
        until=until,
        note=note,
        recorded_by=recorded_by,
    )
    sync_training_status(person_ids=[person.pk], as_of=as_of)
    return exception


@transaction.atomic
def record_external_training(
    *,
    person: StaffProfile,
    module: ModulePage,
    title: str,
    provider: str,
    completed_on: date,
    evidence: UploadedFile | None,
    evidence_reference: str,
    recorded_by: User,
    as_of: date,
) -> ExternalTraining:
    """Record training done elsewhere; it counts only once a manager approves it."""
    if completed_on > as_of:
        raise InvalidExternalTraining("The date completed cannot be in the future.")
    if not evidence and not evidence_reference.strip():
        raise InvalidExternalTraining("Attach evidence or enter a reference.")
    return ExternalTraining.objects.create(
        person=person,
        module=module,
        title=title,
        provider=provider,
        completed_on=completed_on,
        evidence=evidence or "",
        evidence_reference=evidence_reference.strip(),
        recorded_by=recorded_by,
    )


@transaction.atomic
def approve_external_training(
    *, record: ExternalTraining, approved_by: User, as_of: date
) -> Completion:
    """Approve external training: it becomes a completion of the module it maps to."""
    record = ExternalTraining.objects.select_for_update().get(pk=record.pk)
    if record.approved_at is not None:
        return Completion.objects.get(external=record)
    record.approved_by = approved_by
    record.approved_at = timezone.now()
    record.save(update_fields=["approved_by", "approved_at"])
    module = record.module
    completion = Completion.objects.create(
        person=record.person,
        module=module,
        completed_on=record.completed_on,
        content_version=module.content_version,
        revision_id=module.live_revision_id,
        external=record,
    )
    completion_recorded.send(sender=Completion, completion=completion)
    sync_training_status(person_ids=[record.person_id], as_of=as_of)
    return completion
