"""Every change to learning records: typed, keyword-only, atomic.

Each service updates the people's status rows in the same transaction, through
:func:`sync_training_status`, so a status is never stale after an event.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, TypedDict

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.roles import Role, has_role
from learning.events import completion_recorded, training_status_synced
from learning.models import (
    Attempt,
    Completion,
    ExceptionReason,
    ExternalTraining,
    Feedback,
    ModulePage,
    Requirement,
    SectionProgress,
    SectionVisit,
    TrainingException,
    TrainingStatus,
)
from learning.models.pages import Question
from learning.papers import Paper, mark_paper, whole_bank
from learning.rules import ExceptionKind, first_due_on, status_dates
from workforce.audit import record_audit
from workforce.dates import add_months
from workforce.models import StaffProfile

if TYPE_CHECKING:
    from accounts.models import User

SYNC_CHUNK = 2000
# Rows per INSERT ... ON CONFLICT statement.
WRITE_BATCH = 2000
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

    def __init__(self, message: str, *, unanswered: Sequence[int] = ()) -> None:
        super().__init__(message)
        self.unanswered = list(unanswered)


class InvalidException(LearningError):
    """An exception that breaks the rules (for example an extension too early)."""


class InvalidRevocation(LearningError):
    """A certificate revocation the rules refuse."""


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

# A status row's stored values, in ``STATUS_FIELDS`` order.
StatusValues = tuple[
    date, date | None, date | None, date | None, date | None, str, date | None
]
PERSON_FACTS = (
    "id",
    "job_role_id",
    "organisation_id",
    "started_in_role",
    "left_on",
    "long_term_absence_from",
)


def _desired_rows(
    people: Sequence[PersonFacts],
    requirements: Sequence[Requirement],
    roles_of: Mapping[int, set[int]],
    orgs_of: Mapping[int, set[int]],
    *,
    as_of: date,
) -> dict[tuple[int, int], StatusValues]:
    """Work out every status row these people should have, with its stored values.

    Three queries whatever the number of people: their completions of the
    requirements' modules, and their exceptions. Everything else is worked out here
    with the pure rules in :mod:`learning.rules`.
    """
    if not people or not requirements:
        return {}
    person_ids = [p["id"] for p in people]
    module_ids = {r.module_id for r in requirements}
    # (person, module) -> [(content version, completed on)]; usually one entry.
    completions: dict[tuple[int, int], list[tuple[int, date]]] = {}
    for person_id, module_id, completed_on, version in Completion.objects.filter(
        person_id__in=person_ids, module_id__in=module_ids, revoked_at__isnull=True
    ).values_list("person_id", "module_id", "completed_on", "content_version"):
        completions.setdefault((person_id, module_id), []).append(
            (version, completed_on)
        )
    # The latest exception recorded for each person and requirement wins; one
    # withdrawn never counts, and one ended stops on the day it was ended.
    exceptions: dict[tuple[int, int], tuple[str, date | None]] = {}
    for person_id, requirement_id, kind, until, ended_on in (
        TrainingException.objects.filter(
            person_id__in=person_ids, withdrawn_at__isnull=True
        )
        .order_by("recorded_at", "pk")
        .values_list("person_id", "requirement_id", "kind", "until", "ended_on")
    ):
        if ended_on is not None:
            until = ended_on if until is None else min(until, ended_on)
        exceptions[(person_id, requirement_id)] = (kind, until)

    # Per requirement, what the loop needs, looked up once.
    rules = [
        (
            requirement.pk,
            requirement.module_id,
            requirement.minimum_version,
            requirement.version_required_from,
            requirement.effective_from,
            requirement.initial_due_days,
            requirement.renewal_months,
            requirement.due_soon_days,
            roles_of.get(requirement.pk, set()),
            orgs_of.get(requirement.pk, set()),
        )
        for requirement in requirements
    ]
    desired: dict[tuple[int, int], StatusValues] = {}
    for person in people:
        person_id = person["id"]
        role_id = person["job_role_id"]
        org_id = person["organisation_id"]
        started = person["started_in_role"]
        absence_from = person["long_term_absence_from"]
        absent = absence_from is not None and absence_from <= as_of
        for (
            requirement_id,
            module_id,
            minimum_version,
            version_required_from,
            effective_from,
            initial_due_days,
            renewal_months,
            due_soon_days,
            roles,
            orgs,
        ) in rules:
            if role_id not in roles or (orgs and org_id not in orgs):
                continue
            last: date | None = None
            for version, completed_on in completions.get((person_id, module_id), ()):
                if version >= minimum_version and (last is None or completed_on > last):
                    last = completed_on
            key = (person_id, requirement_id)
            kind, until = exceptions.get(key, ("", None))
            if absent and not kind:
                kind = ExceptionKind.LONG_TERM_ABSENCE
            first_due = first_due_on(
                started_in_role=started,
                effective_from=effective_from,
                initial_due_days=initial_due_days,
            )
            if last is None and version_required_from is not None:
                # A material change: earlier completions stop counting, with a
                # grace period before anyone is overdue.
                first_due = max(first_due, version_required_from)
            dates = status_dates(
                first_due=first_due,
                last_completed_on=last,
                renewal_months=renewal_months,
                due_soon_days=due_soon_days,
                exception_kind=kind,
                exception_until=until,
            )
            desired[key] = (
                dates.first_due_on,
                dates.last_completed_on,
                dates.valid_until,
                dates.deadline,
                dates.due_soon_from,
                dates.exception_kind,
                dates.exception_until,
            )
    return desired


def sync_training_status(
    *, person_ids: Iterable[int] | None = None, as_of: date, announce: bool = True
) -> int:
    """Bring status rows in line with the rules; return how many rows changed.

    ``None`` means everyone. People who have left lose their rows. Works in chunks
    of people with a fixed number of queries each; a second run changes nothing.

    For named people and with ``announce``, ``training_status_synced`` is sent
    afterwards so their flags follow at once (the sweep passes ``announce=False``).
    """
    if person_ids is not None:
        person_ids = sorted(set(person_ids))
    requirements = list(
        Requirement.objects.order_by("pk").only(
            "pk",
            "module_id",
            "minimum_version",
            "version_required_from",
            "effective_from",
            "initial_due_days",
            "renewal_months",
            "due_soon_days",
        )
    )
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

    changed = 0
    for chunk in _people_in_chunks(person_ids):
        active = [p for p in chunk if p["left_on"] is None or p["left_on"] >= as_of]
        with transaction.atomic():
            changed += _sync_chunk(
                [p["id"] for p in chunk],
                _desired_rows(active, requirements, roles_of, orgs_of, as_of=as_of),
            )
    if person_ids and announce:
        training_status_synced.send(
            sender=sync_training_status, person_ids=person_ids, as_of=as_of
        )
    return changed


def _people_in_chunks(
    person_ids: Iterable[int] | None,
) -> Iterator[list[PersonFacts]]:
    """Yield the facts the rules read about these people, ``SYNC_CHUNK`` at a time."""
    people = StaffProfile.objects.order_by("pk")
    if person_ids is not None:
        ids = sorted(set(person_ids))
        for start in range(0, len(ids), SYNC_CHUNK):
            chunk: list[PersonFacts] = list(
                people.filter(pk__in=ids[start : start + SYNC_CHUNK]).values(
                    *PERSON_FACTS
                )
            )
            if chunk:
                yield chunk
        return
    last_pk = 0
    while True:
        chunk = list(people.filter(pk__gt=last_pk).values(*PERSON_FACTS)[:SYNC_CHUNK])
        if not chunk:
            return
        yield chunk
        last_pk = chunk[-1]["id"]


def _sync_chunk(
    person_ids: list[int], desired: dict[tuple[int, int], StatusValues]
) -> int:
    """Write only the rows that differ: one upsert and one delete at most."""
    existing: dict[tuple[int, int], tuple[int, StatusValues]] = {
        (row[1], row[2]): (row[0], row[3:])
        for row in TrainingStatus.objects.filter(person_id__in=person_ids).values_list(
            "pk", "person_id", "requirement_id", *STATUS_FIELDS
        )
    }
    to_write = [
        (key, values)
        for key, values in desired.items()
        if (current := existing.get(key)) is None or current[1] != values
    ]
    stale = [pk for key, (pk, _) in existing.items() if key not in desired]
    if to_write:
        _upsert_status_rows(to_write)
    if stale:
        TrainingStatus.objects.filter(pk__in=stale).delete()
    return len(to_write) + len(stale)


def _upsert_status_rows(rows: list[tuple[tuple[int, int], StatusValues]]) -> None:
    """Insert these rows, or update the person's row for the requirement if it exists.

    On PostgreSQL, one ``INSERT ... SELECT FROM unnest(arrays) ON CONFLICT`` per
    ``WRITE_BATCH`` rows: a column per parameter, not a parameter per value, which is
    several times faster than ``bulk_create`` for the go-live backlog. Elsewhere
    ``bulk_create(update_conflicts=True)``, which writes the same rows.
    """
    if connection.vendor != "postgresql":
        TrainingStatus.objects.bulk_create(
            (
                TrainingStatus(
                    person_id=person_id,
                    requirement_id=requirement_id,
                    **dict(zip(STATUS_FIELDS, values, strict=True)),
                )
                for (person_id, requirement_id), values in rows
            ),
            batch_size=WRITE_BATCH,
            update_conflicts=True,
            unique_fields=["person", "requirement"],
            update_fields=[*STATUS_FIELDS, "updated_at"],
        )
        return
    meta = TrainingStatus._meta
    by_name = {field.name: field for field in meta.concrete_fields}
    fields = [by_name[name] for name in ("person", "requirement", *STATUS_FIELDS)]
    quote = connection.ops.quote_name
    columns = [quote(field.column or field.attname) for field in fields]
    updated_at = quote(by_name["updated_at"].column or "updated_at")
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}, {updated_at}) "
        f"SELECT {', '.join(columns)}, %s FROM unnest({arrays}) "
        f"AS new ({', '.join(columns)}) "
        f"ON CONFLICT ({columns[0]}, {columns[1]}) DO UPDATE SET "
        + ", ".join(f"{c} = EXCLUDED.{c}" for c in [*columns[2:], updated_at])
    )
    kind = STATUS_FIELDS.index("exception_kind")
    now = timezone.now()
    with connection.cursor() as cursor:
        for start in range(0, len(rows), WRITE_BATCH):
            batch = rows[start : start + WRITE_BATCH]
            params: list[Any] = [
                now,
                [key[0] for key, _ in batch],
                [key[1] for key, _ in batch],
            ]
            for index in range(len(STATUS_FIELDS)):
                if index == kind:  # plain str, not the choices enum
                    params.append([str(values[index]) for _, values in batch])
                else:
                    params.append([values[index] for _, values in batch])
            cursor.execute(sql, params)


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
    questions: Mapping[str, Question],
    paper: Paper,
    answers: Mapping[str, Sequence[str]],
) -> dict[str, list[str]]:
    """Check a submission whole against its paper; return question id to keys."""
    if not paper:
        raise InvalidAnswers("This module has no knowledge check yet.")
    shown = {entry["question"]: entry["options"] for entry in paper}
    if set(answers) - set(shown) or set(shown) - set(questions):
        raise InvalidAnswers(
            "The answers do not match this knowledge check. Reload the page and try "
            "again."
        )
    unanswered = [
        number
        for number, entry in enumerate(paper, start=1)
        if not [v for v in answers.get(entry["question"], []) if v != ""]
    ]
    if unanswered:
        raise InvalidAnswers(
            "; ".join(f"Answer question {n}." for n in unanswered),
            unanswered=unanswered,
        )
    parsed: dict[str, list[str]] = {}
    for number, entry in enumerate(paper, start=1):
        question = questions[entry["question"]]
        chosen = sorted({v for v in answers[entry["question"]] if v != ""})
        if any(key not in entry["options"] for key in chosen):
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
    paper: Paper | None = None,
) -> MarkedAttempt:
    """Mark a knowledge check; record the attempt, and a completion if it passed.

    ``paper`` is what the learner was shown (see :mod:`learning.papers`); without
    one the whole bank in authored order is marked. Answers are option keys, so
    marking follows each option's identity, never its position.

    The same ``token`` sent twice records one attempt and one completion: the
    database's unique constraint decides, and the second call gets the first result.
    Bad answers raise :class:`InvalidAnswers` and record nothing.
    """
    existing = _attempt_for_token(token, person)
    if existing is not None:
        return existing
    bank = {q.id: q for q in module.questions()}
    if paper is None:
        paper = whole_bank(list(bank.values()))
    parsed = _parse_answers(bank, paper, answers)
    missed = mark_paper(bank, paper, parsed)
    score = round(100 * (len(paper) - len(missed)) / len(paper))
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
                paper=paper,
                missed_question_ids=missed,
                score_percent=score,
                passed=passed,
                content_version=module.content_version,
                revision_id=revision_id,
            )
            completion = None
            if passed:
                completion = _first_completion_of_the_day(
                    person=person,
                    module=module,
                    as_of=as_of,
                    score=score,
                    attempt=attempt,
                )
            if completion is not None:
                completion_recorded.send(sender=Completion, completion=completion)
                sync_training_status(person_ids=[person.pk], as_of=as_of)
    except IntegrityError:
        existing = _attempt_for_token(token, person)
        if existing is None:
            raise
        return existing
    return MarkedAttempt(attempt=attempt, completion=completion, created=True)


def _first_completion_of_the_day(
    *,
    person: StaffProfile,
    module: ModulePage,
    as_of: date,
    score: int,
    attempt: Attempt,
) -> Completion | None:
    """Record the day's completion, or None if this person already has one today.

    The unique constraint on (person, module, completed_on) decides between
    parallel passes: the insert runs in a savepoint, so a repeat keeps its attempt
    and the caller's transaction goes on with no new completion and no email.
    """
    try:
        with transaction.atomic():
            return Completion.objects.create(
                person=person,
                module=module,
                completed_on=as_of,
                score_percent=score,
                content_version=attempt.content_version,
                revision_id=attempt.revision_id,
                attempt=attempt,
            )
    except IntegrityError:
        if completion_on(person=person, module=module, day=as_of) is None:
            raise
        return None


def completion_on(
    *, person: StaffProfile, module: ModulePage, day: date
) -> Completion | None:
    """The person's completion of the module on that day, if one stands (unrevoked)."""
    return Completion.objects.filter(
        person=person, module=module, completed_on=day, revoked_at__isnull=True
    ).first()


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


def record_section_visit(
    *, person: StaffProfile, module: ModulePage, section: int
) -> None:
    """Note that the learner opened a section; a retake after a fail looks here."""
    SectionVisit.objects.update_or_create(person=person, module=module, section=section)


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
def extension_limit(as_of: date) -> date:
    """The latest date an extension recorded on ``as_of`` may run to."""
    return add_months(as_of, settings.TRAINING_EXTENSION_MAX_MONTHS)


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
    if person.user_id == recorded_by.pk:
        raise InvalidException("You cannot record an exception for yourself.")
    row = (
        TrainingStatus.objects.select_for_update()
        .filter(person=person, requirement=requirement)
        .first()
    )
    if row is None:
        raise InvalidException("This requirement does not apply to this person.")
    if until is not None and until <= as_of:
        raise InvalidException("The date must be in the future.")
    if reason == ExceptionReason.OTHER and not note.strip():
        raise InvalidException("Say in the note what the other reason is.")
    if kind == ExceptionKind.EXTENSION:
        if until is None:
            raise InvalidException("Enter the date the extension runs to.")
        latest = extension_limit(as_of)
        if until > latest:
            raise InvalidException(
                f"An extension can run to {latest.day} {latest:%B %Y} at the latest "
                f"({settings.TRAINING_EXTENSION_MAX_MONTHS} months from today)."
            )
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
    record_audit(
        actor=recorded_by,
        action="sustain.exception.record",
        instance=exception,
        summary=f"{exception.get_kind_display()} for person {person.pk}",
        data={"person_id": person.pk, "requirement_id": requirement.pk},
    )
    sync_training_status(person_ids=[person.pk], as_of=as_of)
    return exception


def _open_exception(exception_id: int, *, by: User) -> TrainingException:
    exception = (
        TrainingException.objects.select_for_update()
        .select_related("person")
        .get(pk=exception_id)
    )
    if exception.person.user_id == by.pk:
        raise InvalidException("You cannot change an exception for yourself.")
    if exception.is_withdrawn or exception.ended_on is not None:
        raise InvalidException("This exception has already been closed.")
    return exception


@transaction.atomic
def end_exception(
    *, exception_id: int, ended_by: User, as_of: date, note: str = ""
) -> TrainingException:
    """End an exception from ``as_of``: it stays in the history but stops counting."""
    exception = _open_exception(exception_id, by=ended_by)
    if not exception.is_open(as_of):
        raise InvalidException("This exception has already run out.")
    exception.ended_on = as_of
    exception.closed_by = ended_by
    exception.closing_note = note.strip()
    exception.save(update_fields=["ended_on", "closed_by", "closing_note"])
    record_audit(
        actor=ended_by,
        action="sustain.exception.end",
        instance=exception,
        summary=f"{exception.get_kind_display()} ended for person "
        f"{exception.person_id}",
        data={"person_id": exception.person_id, "ended_on": as_of.isoformat()},
    )
    sync_training_status(person_ids=[exception.person_id], as_of=as_of)
    return exception


@transaction.atomic
def withdraw_exception(
    *, exception_id: int, withdrawn_by: User, as_of: date, note: str
) -> TrainingException:
    """Withdraw an exception recorded in error: it is kept but never counts."""
    if not note.strip():
        raise InvalidException("Say why the exception is being withdrawn.")
    exception = _open_exception(exception_id, by=withdrawn_by)
    exception.withdrawn_at = timezone.now()
    exception.closed_by = withdrawn_by
    exception.closing_note = note.strip()
    exception.save(update_fields=["withdrawn_at", "closed_by", "closing_note"])
    record_audit(
        actor=withdrawn_by,
        action="sustain.exception.withdraw",
        instance=exception,
        summary=f"{exception.get_kind_display()} withdrawn for person "
        f"{exception.person_id}",
        data={"person_id": exception.person_id},
    )
    sync_training_status(person_ids=[exception.person_id], as_of=as_of)
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
    record = ExternalTraining.objects.create(
        person=person,
        module=module,
        title=title,
        provider=provider,
        completed_on=completed_on,
        evidence=evidence or "",
        evidence_reference=evidence_reference.strip(),
        recorded_by=recorded_by,
    )
    record_audit(
        actor=recorded_by,
        action="sustain.external_training.record",
        instance=record,
        summary=f"External training for person {person.pk}",
        data={"person_id": person.pk, "module_id": module.pk},
    )
    return record


@transaction.atomic
def approve_external_training(
    *, record: ExternalTraining, approved_by: User, as_of: date
) -> Completion:
    """Approve external training: it becomes a completion of the module it maps to."""
    record = ExternalTraining.objects.select_for_update().get(pk=record.pk)
    if record.approved_at is not None:
        return Completion.objects.get(external=record)
    if record.person.user_id == approved_by.pk:
        raise InvalidExternalTraining("You cannot approve your own external training.")
    record.approved_by = approved_by
    record.approved_at = timezone.now()
    record.save(update_fields=["approved_by", "approved_at"])
    record_audit(
        actor=approved_by,
        action="sustain.external_training.approve",
        instance=record,
        summary=f"External training approved for person {record.person_id}",
        data={"person_id": record.person_id},
    )
    module = record.module
    same_day = completion_on(
        person=record.person, module=module, day=record.completed_on
    )
    if same_day is not None:
        # Already completed that day: the approval is kept, the cycle is not doubled.
        return same_day
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


REVOCATION_REASON_MAX = 2000


@transaction.atomic
def revoke_certificate(
    *, completion_id: int, revoked_by: User, reason: str, as_of: date
) -> Completion:
    """Revoke a completion found not to stand, and so its certificate.

    Only a provider manager or platform admin who may see the person does it, never
    for themself, and always with a reason (kept encrypted, never in the audit
    entry). The row stays as history; it stops counting at once, so the person's
    status rows and flags follow, and the public verification page says revoked.
    """
    reason = reason.strip()
    if not reason:
        raise InvalidRevocation("Say why the certificate is being revoked.")
    if len(reason) > REVOCATION_REASON_MAX:
        raise InvalidRevocation(
            f"The reason must be {REVOCATION_REASON_MAX:,} characters or fewer."
        )
    if not has_role(revoked_by, Role.PROVIDER_MANAGER, Role.PLATFORM_ADMIN):
        raise InvalidRevocation("Only a provider manager or an admin can revoke one.")
    completion = (
        Completion.objects.select_for_update(of=("self",))
        .filter(person__in=StaffProfile.objects.for_user(revoked_by))
        .select_related("person")
        .filter(pk=completion_id)
        .first()
    )
    if completion is None:
        raise Completion.DoesNotExist(completion_id)
    if completion.person.user_id == revoked_by.pk:
        raise InvalidRevocation("You cannot revoke your own certificate.")
    if completion.is_revoked:
        raise InvalidRevocation("This certificate has already been revoked.")
    completion.revoked_at = timezone.now()
    completion.revoked_by = revoked_by
    completion.revocation_reason = reason
    completion.save(update_fields=["revoked_at", "revoked_by", "revocation_reason"])
    record_audit(
        actor=revoked_by,
        action="sustain.completion.revoke",
        instance=completion,
        summary=f"Certificate revoked for person {completion.person_id}",
        data={"person_id": completion.person_id, "module_id": completion.module_id},
    )
    sync_training_status(person_ids=[completion.person_id], as_of=as_of)
    return completion


ROSTER_EVIDENCE = "Training history in the go-live roster"


@dataclass(frozen=True)
class HistoryRecord:
    """One module a person completed before their organisation used Sustain."""

    person: StaffProfile
    module: ModulePage
    completed_on: date
    evidence_reference: str = ROSTER_EVIDENCE


@transaction.atomic
def record_training_history(
    *, records: Sequence[HistoryRecord], recorded_by: User, as_of: date
) -> int:
    """Record training done before go-live; return how many completions are new.

    Each record is external training, recorded and approved by ``recorded_by`` (the
    importer vouches for it, as a manager approving a certificate does) with the
    record's evidence reference, and its completion on the date given. History is
    not news: no "completed" message is sent (``completion_recorded`` is not sent),
    but each record is audited, and the people's status rows and flags follow at
    once. A completion already on that day is kept, not doubled: the unique
    constraint decides, so two imports racing each other record it once.
    """
    created = 0
    now = timezone.now()
    for record in records:
        if record.completed_on > as_of:
            raise InvalidExternalTraining("A completion date cannot be in the future.")
        if completion_on(
            person=record.person, module=record.module, day=record.completed_on
        ):
            continue
        try:
            with transaction.atomic():  # a savepoint: a lost race leaves nothing
                external = ExternalTraining.objects.create(
                    person=record.person,
                    module=record.module,
                    title=record.module.title[:200],
                    provider="Before Sustain",
                    completed_on=record.completed_on,
                    evidence_reference=record.evidence_reference[:200],
                    recorded_by=recorded_by,
                    approved_by=recorded_by,
                    approved_at=now,
                )
                Completion.objects.create(
                    person=record.person,
                    module=record.module,
                    completed_on=record.completed_on,
                    content_version=record.module.content_version,
                    revision_id=record.module.live_revision_id,
                    external=external,
                )
        except IntegrityError:
            if completion_on(
                person=record.person, module=record.module, day=record.completed_on
            ):
                continue
            raise
        record_audit(
            actor=recorded_by,
            action="sustain.training_history.record",
            instance=external,
            summary=f"Training history for person {record.person.pk}",
            data={"person_id": record.person.pk, "module_id": record.module.pk},
        )
        created += 1
    people = {record.person.pk for record in records}
    if people:
        sync_training_status(person_ids=people, as_of=as_of)
    return created
