"""Every change to supervision records: typed, keyword-only, atomic.

Each service raises a :class:`SupervisionError` subclass with a message fit to show
the user; views catch it and show it beside the form.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TypedDict

from django.db import transaction
from django.db.models import F, Max, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from supervision.events import session_finalised, supervision_status_synced
from supervision.models import (
    CONTENT_FIELDS,
    PRE_SESSION_TEXT_LIMIT,
    SCORE_FIELDS,
    AccessEvent,
    CheckInScoreRecord,
    CheckInScores,
    PolicyStage,
    PreSessionCheckIn,
    SessionAction,
    SessionAttendance,
    SessionVersion,
    SupervisionPolicy,
    SupervisionSession,
    SupervisionStatus,
    SupportOffered,
    foster_carer_counted_q,
)
from supervision.pseudonyms import respondent_key, source_key
from supervision.rules import Ladder, Stage, foster_carer_ladder, ladder, stage_end
from workforce.audit import record_audit
from workforce.dates import add_months
from workforce.models import CaseloadSnapshot, JobRole, PersonKind, StaffProfile


class SupervisionError(Exception):
    """A supervision change that cannot be made, with a message for the user."""


class StaleSession(SupervisionError):
    """Someone else saved the session since this form was opened."""


class SessionNotEditable(SupervisionError):
    """The session is in a state that does not allow this change."""


class NotAllowed(SupervisionError):
    """The user may not make this change to this session."""


# --- Policies -----------------------------------------------------------------------
DEFAULT_POLICY = "Frontline practitioners (default)"
NQSW_POLICY = "Newly qualified social workers (ASYE)"
# LGA standard 5 (2020): 90 minutes for newly qualified social workers; the default
# policy keeps the model's 60 (unregistered direct-work staff).
NQSW_MIN_MINUTES = 90


@transaction.atomic
def ensure_default_policies() -> int:
    """Create the default and newly-qualified policies if missing; return how many."""
    created = 0
    default, made = SupervisionPolicy.objects.get_or_create(
        is_default=True, defaults={"name": DEFAULT_POLICY}
    )
    if made:
        PolicyStage.objects.create(policy=default, position=1, interval_days=28)
        created += 1
    nqsw_role = JobRole.objects.filter(slug="nqsw").first()
    if (
        nqsw_role is not None
        and not SupervisionPolicy.objects.filter(job_role=nqsw_role).exists()
    ):
        policy = SupervisionPolicy.objects.create(
            name=NQSW_POLICY,
            job_role=nqsw_role,
            stages_follow=SupervisionPolicy.StagesFollow.STARTED,
            min_minutes=NQSW_MIN_MINUTES,
        )
        PolicyStage.objects.bulk_create(
            [
                PolicyStage(
                    policy=policy,
                    position=1,
                    interval_days=7,
                    ends_after=6,
                    ends_after_unit=PolicyStage.Unit.WEEKS,
                ),
                PolicyStage(
                    policy=policy,
                    position=2,
                    interval_days=14,
                    ends_after=6,
                    ends_after_unit=PolicyStage.Unit.MONTHS,
                ),
                PolicyStage(policy=policy, position=3, interval_days=28),
            ]
        )
        created += 1
    return created


class _PersonFacts(TypedDict):
    """What the supervision rules read about a person (one ``values()`` row)."""

    id: int
    job_role_id: int
    job_role__is_frontline: bool
    kind: str
    started_in_role: date
    qualified_on: date | None
    left_on: date | None
    last_supervised_on: date | None


_PERSON_FACTS = (
    "id",
    "job_role_id",
    "job_role__is_frontline",
    "kind",
    "started_in_role",
    "qualified_on",
    "left_on",
    "last_supervised_on",
)
# A status row's stored values, in ``SupervisionStatus.DATE_FIELDS`` order.
_Row = tuple[object, ...]


@dataclass(frozen=True)
class _Policies:
    by_pk: dict[int, SupervisionPolicy]
    by_role: dict[int, SupervisionPolicy]
    default: SupervisionPolicy | None
    # Each policy's stages in position order, read once.
    stages: dict[int, list[PolicyStage]]

    def for_person(self, person: _PersonFacts) -> SupervisionPolicy | None:
        """The staff policy a person is on; none for a foster carer, whose ladder
        is ``rules.foster_carer_ladder``."""
        if person["kind"] == PersonKind.FOSTER_CARER:
            return None
        policy = self.by_role.get(person["job_role_id"])
        if policy is not None:
            return policy
        return self.default if person["job_role__is_frontline"] else None


def _load_policies() -> _Policies:
    policies = list(SupervisionPolicy.objects.prefetch_related("stages"))
    return _Policies(
        by_pk={p.pk: p for p in policies},
        by_role={p.job_role_id: p for p in policies if p.job_role_id is not None},
        default=next((p for p in policies if p.is_default), None),
        stages={
            p.pk: sorted(p.stages.all(), key=lambda stage: stage.position)
            for p in policies
        },
    )


def _stages(
    policy: SupervisionPolicy, person: _PersonFacts, policies: _Policies
) -> list[Stage]:
    start = person["started_in_role"]
    if policy.stages_follow == SupervisionPolicy.StagesFollow.QUALIFIED:
        start = person["qualified_on"] or person["started_in_role"]
    return [
        Stage(
            interval_days=stage.interval_days,
            ends_on=None
            if stage.ends_after is None
            else stage_end(start, stage.ends_after, stage.ends_after_unit),
        )
        for stage in policies.stages[policy.pk]
    ]


def _desired_dates(
    person: _PersonFacts,
    *,
    last_session_on: date | None,
    policies: _Policies,
    as_of: date,
) -> _Row:
    """Return the row's values in ``SupervisionStatus.DATE_FIELDS`` order."""
    empty = (None, last_session_on, None, None, None, None, None, None)
    left_on = person["left_on"]
    if left_on is not None and left_on < as_of:
        return empty
    if person["kind"] == PersonKind.FOSTER_CARER:
        dates = foster_carer_ladder(anchor=last_session_on or person["started_in_role"])
        return (None, last_session_on, *_ladder_values(dates))
    policy = policies.for_person(person)
    if policy is None:
        return empty
    stages = _stages(policy, person, policies)
    if not stages:
        return empty
    anchor = last_session_on or person["started_in_role"]
    dates = ladder(
        anchor=anchor,
        stages=stages,
        due_soon_days=policy.due_soon_days,
        first_escalation_days=policy.first_escalation_days,
        consolidation_until=None
        if policy.consolidation_months is None
        else add_months(person["started_in_role"], policy.consolidation_months),
        consolidation_interval_days=policy.consolidation_interval_days,
    )
    return (policy.pk, last_session_on, *_ladder_values(dates))


def _ladder_values(dates: Ladder) -> _Row:
    return (
        dates.anchor,
        dates.interval_days,
        dates.due_on,
        dates.due_soon_from,
        dates.escalate_on,
        dates.escalate_twice_on,
    )


SYNC_CHUNK = 2000


@transaction.atomic
def sync_supervision_status(
    *, person_ids: Iterable[int] | None = None, as_of: date, announce: bool = True
) -> int:
    """Bring status rows in line with sessions and policies; return rows changed.

    ``person_ids=None`` means everyone active on ``as_of``. A second run changes
    nothing and returns 0. For named people and with ``announce``,
    ``supervision_status_synced`` is sent afterwards so their flags follow at once
    (the sweep passes ``announce=False``).
    """
    people = StaffProfile.objects.order_by("pk")
    policies = _load_policies()
    changed = 0
    if person_ids is not None:
        ids = sorted(set(person_ids))
        for start in range(0, len(ids), SYNC_CHUNK):
            chunk: list[_PersonFacts] = list(
                people.filter(pk__in=ids[start : start + SYNC_CHUNK]).values(
                    *_PERSON_FACTS
                )
            )
            changed += _sync_chunk(chunk, policies=policies, as_of=as_of)
        if ids and announce:
            supervision_status_synced.send(
                sender=sync_supervision_status, person_ids=ids, as_of=as_of
            )
        return changed
    active = people.active(as_of=as_of)
    last_pk = 0
    while True:
        chunk = list(active.filter(pk__gt=last_pk).values(*_PERSON_FACTS)[:SYNC_CHUNK])
        if not chunk:
            return changed
        changed += _sync_chunk(chunk, policies=policies, as_of=as_of)
        last_pk = chunk[-1]["id"]


def policy_changed(*, policy_id: int, as_of: date) -> int:
    """Re-sync everyone a policy covers now or covered before the change: those
    whose status row names it, those in its job role, and for the default policy
    everyone in a role with no policy of its own. Returns rows changed."""
    policy = SupervisionPolicy.objects.filter(pk=policy_id).first()
    affected = set(
        SupervisionStatus.objects.filter(policy_id=policy_id).values_list(
            "person_id", flat=True
        )
    )
    if policy is not None and policy.job_role_id is not None:
        affected |= set(
            StaffProfile.objects.filter(job_role_id=policy.job_role_id).values_list(
                "pk", flat=True
            )
        )
    if policy is not None and policy.is_default:
        own = SupervisionPolicy.objects.filter(job_role__isnull=False).values(
            "job_role_id"
        )
        affected |= set(
            StaffProfile.objects.exclude(job_role_id__in=own).values_list(
                "pk", flat=True
            )
        )
    return sync_supervision_status(person_ids=affected, as_of=as_of)


def _last_counted_sessions(
    people: list[_PersonFacts], *, policies: _Policies
) -> dict[int, date]:
    """Each person's latest session that resets the clock under their policy.

    One query: the policy's ``counted_q`` for the people it covers, OR-ed together.
    """
    by_policy: dict[int, list[int]] = defaultdict(list)
    foster_carers: list[int] = []
    for person in people:
        policy = policies.for_person(person)
        if policy is not None:
            by_policy[policy.pk].append(person["id"])
        elif person["kind"] == PersonKind.FOSTER_CARER:
            foster_carers.append(person["id"])
    if not by_policy and not foster_carers:
        return {}
    counted = Q()
    for policy_pk, ids in by_policy.items():
        policy = policies.by_pk[policy_pk]
        counted |= Q(person_id__in=ids) & policy.counted_q("session__")
    if foster_carers:
        counted |= Q(person_id__in=foster_carers) & foster_carer_counted_q("session__")
    return dict(
        SessionAttendance.objects.filter(counted)
        .values("person_id")
        .annotate(last=Max("session__held_on"))
        .values_list("person_id", "last")
    )


def _sync_chunk(people: list[_PersonFacts], *, policies: _Policies, as_of: date) -> int:
    """Write only the rows that differ, with one upsert."""
    if not people:
        return 0
    ids = [person["id"] for person in people]
    last_sessions = _last_counted_sessions(people, policies=policies)
    existing: dict[int, _Row] = {
        row[0]: row[1:]
        for row in SupervisionStatus.objects.filter(person_id__in=ids).values_list(
            "person_id", *SupervisionStatus.DATE_FIELDS
        )
    }
    to_write: list[SupervisionStatus] = []
    for person in people:
        # A session before Sustain's records (the roster's last_supervised_on)
        # counts until a later one is recorded here.
        known = [last_sessions.get(person["id"]), person["last_supervised_on"]]
        desired = _desired_dates(
            person,
            last_session_on=max((day for day in known if day), default=None),
            policies=policies,
            as_of=as_of,
        )
        if existing.get(person["id"]) != desired:
            to_write.append(
                SupervisionStatus(
                    person_id=person["id"],
                    **dict(zip(SupervisionStatus.DATE_FIELDS, desired, strict=True)),
                )
            )
    if to_write:
        SupervisionStatus.objects.bulk_create(
            to_write,
            batch_size=SYNC_CHUNK,
            update_conflicts=True,
            unique_fields=["person"],
            update_fields=[*SupervisionStatus.DATE_FIELDS, "updated_at"],
        )
    return len(to_write)


# --- Sessions -----------------------------------------------------------------------
@dataclass(frozen=True)
class SessionDetails:
    """What a supervisor writes on the session form."""

    held_on: date
    duration_minutes: int
    format: str
    next_session_on: date | None = None
    wellbeing_discussed: bool = False
    unannounced: bool = False
    case_discussions: str = ""
    decisions: str = ""
    experience: str = ""
    feelings: str = ""
    analysis: str = ""
    learning: str = ""
    plan: str = ""


def _check_details(details: SessionDetails, *, as_of: date) -> None:
    if details.held_on > as_of:
        raise SupervisionError("The session date must be today or in the past.")
    if not 1 <= details.duration_minutes <= 480:
        raise SupervisionError("The duration must be between 1 and 480 minutes.")


def _require_supervisor(session: SupervisionSession, by: User) -> None:
    if session.supervisor.user_id != by.pk:
        raise NotAllowed("Only the session's supervisor can change it.")
    if not SupervisionSession.objects.writable_by(by).filter(pk=session.pk).exists():
        raise NotAllowed(
            "You no longer supervise anyone at this session, so you can read it "
            "but not change it."
        )


def _still_supervises(by: User, person_id: int) -> bool:
    return StaffProfile.objects.filter(pk=person_id, supervisor__user=by).exists()


@transaction.atomic
def create_session(
    *,
    supervisor: StaffProfile,
    supervisee_ids: list[int],
    details: SessionDetails,
    as_of: date,
) -> SupervisionSession:
    """Record a draft session for the supervisor's own supervisees."""
    _check_details(details, as_of=as_of)
    if not supervisee_ids:
        raise SupervisionError("Choose at least one supervisee.")
    allowed = set(
        StaffProfile.objects.filter(
            supervisor=supervisor, pk__in=supervisee_ids
        ).values_list("pk", flat=True)
    )
    if allowed != set(supervisee_ids) or supervisor.pk in supervisee_ids:
        raise NotAllowed("You can only record sessions with your own supervisees.")
    session = SupervisionSession.objects.create(
        supervisor=supervisor, **details.__dict__
    )
    SessionAttendance.objects.bulk_create(
        [SessionAttendance(session=session, person_id=pk) for pk in sorted(allowed)]
    )
    share_pre_session_check_ins(session)
    return session


def _content_snapshot(session: SupervisionSession) -> str:
    return json.dumps({name: getattr(session, name) for name in CONTENT_FIELDS})


@transaction.atomic
def update_session(
    *,
    session_id: int,
    expected_version: int,
    details: SessionDetails,
    by: User,
    as_of: date,
) -> SupervisionSession:
    """Save the supervisor's edits; after finalising, keep the old text as a version.

    ``expected_version`` is the version the form was opened at: if someone saved
    since, nothing is written and :class:`StaleSession` says so.
    """
    session = (
        SupervisionSession.objects.select_for_update()
        .select_related("supervisor")
        .get(pk=session_id)
    )
    _require_supervisor(session, by)
    if session.is_cancelled:
        raise SessionNotEditable("A cancelled session cannot be changed.")
    if session.version != expected_version:
        raise StaleSession(
            "Someone else saved this session while you were editing it. "
            "Your changes have not been saved: open it again to see theirs."
        )
    _check_details(details, as_of=as_of)
    if session.is_finalised:
        SessionVersion.objects.create(
            session=session,
            number=session.version,
            saved_by=by,
            content=_content_snapshot(session),
        )
    for name, value in details.__dict__.items():
        setattr(session, name, value)
    session.version = F("version") + 1
    session.save()
    session.refresh_from_db()
    if session.is_draft:
        share_pre_session_check_ins(session)
    if session.is_finalised:
        store_check_in_scores(session_ids=[session.pk], as_of=as_of)
        sync_supervision_status(
            person_ids=list(session.attendances.values_list("person_id", flat=True)),
            as_of=as_of,
        )
    return session


@transaction.atomic
def record_check_in(
    *,
    session_id: int,
    person_id: int,
    impact: int | None,
    switching_off: int | None,
    support: int | None,
    workload: int | None,
    support_offered: list[str],
    caseload: int | None,
    by: User,
    wellbeing_notes: str = "",
    as_of: date | None = None,
) -> SessionAttendance:
    """Record one supervisee's check-in, wellbeing notes and caseload; snapshot the
    caseload too."""
    attendance = SessionAttendance.objects.select_related("session__supervisor").get(
        session_id=session_id, person_id=person_id
    )
    session = attendance.session
    _require_supervisor(session, by)
    if not _still_supervises(by, person_id):
        raise NotAllowed("You no longer supervise this person.")
    if session.is_cancelled:
        raise SessionNotEditable("A cancelled session cannot be changed.")
    _set_scores(attendance, impact, switching_off, support, workload)
    attendance.support_offered = ",".join(support_offered)
    attendance.caseload = caseload
    attendance.wellbeing_notes = wellbeing_notes.strip()
    attendance.save()
    if session.is_draft:
        share_pre_session_check_ins(session)
    if session.is_finalised:
        store_check_in_scores(session_ids=[session.pk], as_of=as_of)
    if caseload is not None:
        CaseloadSnapshot.objects.update_or_create(
            person_id=person_id,
            taken_on=session.held_on,
            defaults={"open_cases": caseload},
        )
    return attendance


@transaction.atomic
def finalise_session(*, session_id: int, by: User, as_of: date) -> SupervisionSession:
    """Finalise a draft: it now counts, and the supervisees can sign it off."""
    session = (
        SupervisionSession.objects.select_for_update()
        .select_related("supervisor")
        .get(pk=session_id)
    )
    _require_supervisor(session, by)
    if not session.is_draft:
        raise SessionNotEditable("Only a draft session can be finalised.")
    if session.held_on > as_of:
        raise SupervisionError("A session cannot be finalised before it is held.")
    session.state = SupervisionSession.State.FINALISED
    session.finalised_at = timezone.now()
    session.finalised_by = by
    session.version = F("version") + 1
    session.save()
    session.refresh_from_db()
    store_check_in_scores(session_ids=[session.pk], as_of=as_of)
    sync_supervision_status(
        person_ids=list(session.attendances.values_list("person_id", flat=True)),
        as_of=as_of,
    )
    record_audit(
        actor=by,
        action="sustain.session.finalise",
        instance=session,
        summary="Session finalised",
    )
    session_finalised.send(
        sender=SupervisionSession,
        session=session,
        person_ids=list(session.attendances.values_list("person_id", flat=True)),
    )
    return session


@transaction.atomic
def cancel_session(
    *, session_id: int, reason: str, by: User, as_of: date
) -> SupervisionSession:
    """Cancel a session, keeping the reason; it no longer counts for anyone."""
    reason = reason.strip()
    if not reason:
        raise SupervisionError("Say why the session was cancelled.")
    session = (
        SupervisionSession.objects.select_for_update()
        .select_related("supervisor")
        .get(pk=session_id)
    )
    _require_supervisor(session, by)
    if session.is_cancelled:
        raise SessionNotEditable("This session is already cancelled.")
    session.state = SupervisionSession.State.CANCELLED
    session.cancelled_reason = reason[:300]
    session.version = F("version") + 1
    session.save()
    session.refresh_from_db()
    # The reason stays out of the entry: it may be about someone's health.
    record_audit(
        actor=by,
        action="sustain.session.cancel",
        instance=session,
        summary="Session cancelled",
    )
    store_check_in_scores(session_ids=[session.pk], as_of=as_of)
    sync_supervision_status(
        person_ids=list(session.attendances.values_list("person_id", flat=True)),
        as_of=as_of,
    )
    return session


# --- Check-in score records ---------------------------------------------------------
SCORE_CHUNK = 500


@transaction.atomic
def store_check_in_scores(
    *,
    session_ids: Iterable[int],
    as_of: date | None = None,
    include_closed: bool = False,
) -> int:
    """Bring these sessions' pseudonymised score records in step; return rows written.

    A check-in counts when its session is finalised, at least one answer was
    given and it is a member of staff's (not a foster carer's): its record is
    written (or its scores and month refreshed; the organisation and team stay as
    they were when it was first written). A check-in that no longer
    counts (session cancelled, answers cleared) loses its record. Sessions whose
    content retention has purged are left alone: their records are kept for
    statistics. Decrypts each check-in once; safe to run again (idempotent).

    A closed month (before the month of ``as_of``, today by default) is never
    changed: commissioners see only closed months, so no later check-in, edit or
    cancellation can move a figure they have seen and be differenced out of it.
    A check-in recorded after its month closed is therefore not counted.
    ``include_closed`` lifts that, for filling records in before any figure is
    published from them (the demo loader, ``backfill_check_in_scores``).
    """
    from workforce.dates import today

    open_from = date.min if include_closed else (as_of or today()).replace(day=1)
    ids = sorted(set(session_ids))
    written = 0
    for start in range(0, len(ids), SCORE_CHUNK):
        written += _store_chunk(ids[start : start + SCORE_CHUNK], open_from=open_from)
    return written


def _store_chunk(session_ids: list[int], *, open_from: date) -> int:
    attendances = list(
        SessionAttendance.objects.filter(
            session_id__in=session_ids,
            session__content_purged_on__isnull=True,
        )
        .select_related("session", "person")
        .only(
            "pk",
            "session",
            "person",
            "support_prompt",
            "impact_score",
            "switching_off_score",
            "support_score",
            "workload_score",
            "session__state",
            "session__held_on",
            "person__organisation_id",
            "person__team_id",
            "person__kind",
        )
    )
    # Records already in a closed month stay exactly as they are.
    frozen = set(
        CheckInScoreRecord.objects.filter(
            source_key__in=[source_key(a.pk) for a in attendances],
            month__lt=open_from,
        ).values_list("source_key", flat=True)
    )
    records: list[CheckInScoreRecord] = []
    stale: list[str] = []
    for attendance in attendances:
        scores = (
            attendance.impact_score,
            attendance.switching_off_score,
            attendance.support_score,
            attendance.workload_score,
        )
        key = source_key(attendance.pk)
        if key in frozen:
            continue
        if (
            not attendance.session.is_finalised
            or all(s is None for s in scores)
            or attendance.session.held_on < open_from
            # Staff wellbeing figures are about staff: a foster carer's check-in
            # stays in their record and never reaches a provider's aggregate.
            or attendance.person.is_foster_carer
        ):
            stale.append(key)
            continue
        records.append(
            CheckInScoreRecord(
                organisation_id=attendance.person.organisation_id,
                team_id=attendance.person.team_id,
                month=attendance.session.held_on.replace(day=1),
                impact=scores[0],
                switching_off=scores[1],
                support=scores[2],
                workload=scores[3],
                support_prompt=attendance.support_prompt,
                respondent_key=respondent_key(attendance.person_id),
                source_key=key,
            )
        )
    if stale:
        CheckInScoreRecord.objects.filter(
            source_key__in=stale, month__gte=open_from
        ).delete()
    CheckInScoreRecord.objects.bulk_create(
        records,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["source_key"],
        update_fields=["month", *SCORE_FIELDS, "support_prompt"],
    )
    return len(records)


# --- Sign-off by the supervisee -----------------------------------------------------
def _own_attendance(session_id: int, by: User) -> SessionAttendance:
    attendance = (
        SessionAttendance.objects.select_for_update()
        .select_related("session")
        .filter(session_id=session_id, person__user=by)
        .first()
    )
    if attendance is None:
        raise NotAllowed("Only the session's supervisees can sign it off.")
    if not attendance.session.is_finalised:
        raise SessionNotEditable(
            "You can sign off a session once your supervisor has finalised it."
        )
    return attendance


@transaction.atomic
def acknowledge_session(*, session_id: int, by: User) -> SessionAttendance:
    """Record that the supervisee has read and accepts the record (idempotent)."""
    attendance = _own_attendance(session_id, by)
    if attendance.acknowledged_at is None:
        attendance.acknowledged_at = timezone.now()
        attendance.save(update_fields=["acknowledged_at"])
        record_audit(
            actor=by,
            action="sustain.session.acknowledge",
            instance=attendance.session,
            summary="Record signed off by a supervisee",
            data={"person": attendance.person_id},
        )
    return attendance


@transaction.atomic
def add_supervisee_reflection(
    *,
    session_id: int,
    text: str,
    by: User,
    practice_change: str = "",
    include_in_cpd: bool = False,
    discussed_with_peer: bool = False,
) -> SessionAttendance:
    """Save the supervisee's own reflection on the session, and whether it goes in
    their CPD record."""
    text = text.strip()
    if not text:
        raise SupervisionError("Write your reflection before saving it.")
    attendance = _own_attendance(session_id, by)
    attendance.supervisee_reflection = text
    attendance.practice_change = practice_change.strip()
    attendance.reflection_in_cpd = include_in_cpd
    attendance.reflection_discussed_with_peer = discussed_with_peer
    attendance.save(
        update_fields=[
            "supervisee_reflection",
            "practice_change",
            "reflection_in_cpd",
            "reflection_discussed_with_peer",
        ]
    )
    return attendance


@transaction.atomic
def record_disagreement(*, session_id: int, text: str, by: User) -> SessionAttendance:
    """Record that the supervisee disagrees with the record, and why."""
    text = text.strip()
    if not text:
        raise SupervisionError("Say what you disagree with.")
    attendance = _own_attendance(session_id, by)
    attendance.disagreement = text
    attendance.disagreed_at = timezone.now()
    attendance.save(update_fields=["disagreement", "disagreed_at"])
    record_audit(
        actor=by,
        action="sustain.session.disagree",
        instance=attendance.session,
        summary="Disagreement recorded by a supervisee",
        data={"person": attendance.person_id},
    )
    return attendance


# --- Actions ------------------------------------------------------------------------
@transaction.atomic
def add_action(
    *, session_id: int, owner_id: int | None, description: str, due_on: date, by: User
) -> SessionAction:
    """Add an action with an owner (the supervisor or a supervisee) and a due date."""
    session = SupervisionSession.objects.select_related("supervisor").get(pk=session_id)
    _require_supervisor(session, by)
    if session.is_cancelled:
        raise SessionNotEditable("A cancelled session cannot be changed.")
    allowed = {
        session.supervisor_id,
        *session.attendances.filter(person__supervisor=session.supervisor).values_list(
            "person_id", flat=True
        ),
    }
    if owner_id is None or owner_id not in allowed:
        raise SupervisionError("Choose who owns this action.")
    if not description.strip():
        raise SupervisionError("Describe the action.")
    return SessionAction.objects.create(
        session=session,
        owner_id=owner_id,
        description=description.strip(),
        due_on=due_on,
    )


@transaction.atomic
def complete_action(*, action_id: int, by: User, as_of: date) -> SessionAction:
    """Mark an action done (idempotent): its owner, or the owner's supervisor now
    (a former supervisor no longer may)."""
    action = SessionAction.objects.select_related("owner__supervisor").get(pk=action_id)
    owner_supervisor = action.owner.supervisor
    allowed = {action.owner.user_id}
    if owner_supervisor is not None:
        allowed.add(owner_supervisor.user_id)
    if by.pk not in allowed:
        raise NotAllowed("Only the action's owner or their supervisor can close it.")
    if action.done_on is None:
        action.done_on = as_of
        action.save(update_fields=["done_on"])
    return action


# --- The supervisee's own check-in before a session ----------------------------------
@transaction.atomic
def write_pre_session_check_in(
    *,
    by: User,
    impact: int | None,
    switching_off: int | None,
    support: int | None,
    workload: int | None,
    what_would_help: str,
    support_wanted: list[str],
    as_of: date,
) -> PreSessionCheckIn:
    """Write, or rewrite, the signed-in person's check-in for their next session.

    It stays private to them until their supervisor records that session. Writing
    again before then changes the same check-in (the database holds one open check-in
    per person).
    """
    person = StaffProfile.objects.select_for_update().filter(user=by).first()
    if person is None:
        raise NotAllowed("You have no staff record, so there is no session to prepare.")
    scores = (impact, switching_off, support, workload)
    unknown = set(support_wanted) - set(SupportOffered.values)
    if unknown:
        raise SupervisionError("Choose the support from the list.")
    what_would_help = what_would_help.strip()
    if len(what_would_help) > PRE_SESSION_TEXT_LIMIT:
        raise SupervisionError(
            f"Write {PRE_SESSION_TEXT_LIMIT:,} characters or fewer "
            "about what would help."
        )
    if all(score is None for score in scores) and not (
        what_would_help or support_wanted
    ):
        raise SupervisionError(
            "Answer at least one question, or write what would help, "
            "before saving your check-in."
        )
    check_in = PreSessionCheckIn.objects.open().filter(person=person).first()
    if check_in is None:
        check_in = PreSessionCheckIn(person=person)
    check_in.written_on = as_of
    _set_scores(check_in, *scores)
    check_in.what_would_help = what_would_help
    check_in.support_wanted = ",".join(
        code for code in SupportOffered.values if code in support_wanted
    )
    check_in.save()
    return check_in


def _set_scores(
    record: CheckInScores,
    impact: int | None,
    switching_off: int | None,
    support: int | None,
    workload: int | None,
) -> None:
    try:
        record.set_scores(
            impact=impact,
            switching_off=switching_off,
            support=support,
            workload=workload,
        )
    except ValueError as error:
        raise SupervisionError(str(error)) from error


@transaction.atomic
def remove_pre_session_check_in(*, by: User) -> int:
    """Delete the signed-in person's check-in if it has not been shared yet."""
    deleted, _ = PreSessionCheckIn.objects.open().filter(person__user=by).delete()
    return deleted


def share_pre_session_check_ins(session: SupervisionSession) -> int:
    """Share each supervisee's waiting check-in with the supervisor of this session.

    Only a check-in written on or before the session's day is shared: one written
    after it is for the next session. Returns how many were shared.
    """
    waiting = PreSessionCheckIn.objects.open().filter(
        person__session_attendances__session=session,
        written_on__lte=session.held_on,
    )
    return waiting.update(session=session, shared_at=timezone.now())


# --- The access log -----------------------------------------------------------------
def lock_own_supervisee(
    *, by: User, supervisee_id: int, refusal: str
) -> tuple[StaffProfile, StaffProfile]:
    """Lock a supervisee's staff record for a write only their supervisor may make;
    return (supervisee, supervisor), or raise ``NotAllowed`` with ``refusal``."""
    supervisee = (
        StaffProfile.objects.select_for_update(of=("self",))
        .select_related("supervisor")
        .get(pk=supervisee_id)
    )
    supervisor = supervisee.supervisor
    if supervisor is None or supervisor.user_id != by.pk:
        raise NotAllowed(refusal)
    return supervisee, supervisor


def log_access(
    *,
    user: User,
    session: SupervisionSession | None,
    person_ids: Iterable[int],
    action: str,
) -> int:
    """Write one access-log entry per person whose record was read; return how many.

    A person reading their own record is not logged: the log is for them to see who
    else has read it, and their own page loads would bury those reads.
    """
    ids = set(person_ids)
    own = set(
        StaffProfile.objects.filter(pk__in=ids, user_id=user.pk).values_list(
            "pk", flat=True
        )
    )
    events = [
        AccessEvent(user=user, person_id=pk, session=session, action=action)
        for pk in sorted(ids - own)
    ]
    AccessEvent.objects.bulk_create(events)
    return len(events)


# --- Retention ----------------------------------------------------------------------
@transaction.atomic
def purge_expired_content(*, as_of: date) -> int:
    """Delete content past each organisation's retention after a person leaves.

    A session's content goes once every supervisee has been gone longer than their
    organisation's ``supervision_retention_months``. Dates, durations, formats and
    the wellbeing-discussed flag stay for statistics. Returns sessions purged.
    """
    from workforce.dates import add_months

    candidates = (
        SupervisionSession.objects.filter(content_purged_on__isnull=True)
        .filter(attendances__person__left_on__isnull=False)
        .distinct()
        .prefetch_related("attendances__person__organisation")
        .only("pk")
    )
    expired: list[int] = []
    for session in candidates:
        people = [attendance.person for attendance in session.attendances.all()]
        if people and all(
            person.left_on is not None
            and add_months(
                person.left_on, person.organisation.supervision_retention_months
            )
            <= as_of
            for person in people
        ):
            expired.append(session.pk)
    _purge_unshared_check_ins(as_of=as_of)
    _purge_sealed_notes(as_of=as_of)
    purge_old_score_records(as_of=as_of)
    if not expired:
        return 0
    # Write "" through the ORM field so the stored value is empty, not ciphertext.
    SupervisionSession.objects.filter(pk__in=expired).update(
        **dict.fromkeys(CONTENT_FIELDS, ""), content_purged_on=as_of
    )
    SessionAttendance.objects.filter(session_id__in=expired).update(
        **emptied_attendance_content()
    )
    SessionAction.objects.filter(session_id__in=expired).update(description="")
    PreSessionCheckIn.objects.filter(session_id__in=expired).delete()
    SessionVersion.objects.filter(session_id__in=expired).delete()
    return len(expired)


def emptied_attendance_content() -> dict[str, str | None]:
    """Every content field of an attendance, emptied (scores None, text ""), for an
    ``update``: taken from ``CONTENT_FIELDS`` so a new field is never left behind."""
    return {
        name: None if name in SessionAttendance.SCORE_CONTENT_FIELDS else ""
        for name in SessionAttendance.CONTENT_FIELDS
    }


def purge_old_score_records(*, as_of: date) -> int:
    """Delete check-in score records older than CHECK_IN_SCORE_RETENTION_MONTHS."""
    from django.conf import settings

    cutoff = add_months(as_of.replace(day=1), -settings.CHECK_IN_SCORE_RETENTION_MONTHS)
    deleted, _ = CheckInScoreRecord.objects.filter(month__lt=cutoff).delete()
    return deleted


def _delete_past_retention(rows: QuerySet, person: str, *, as_of: date) -> int:
    """Delete the ``rows`` whose ``person`` (a field path to a StaffProfile) has been
    gone longer than their organisation's retention period; count them."""
    candidates = rows.filter(**{f"{person}__left_on__isnull": False}).select_related(
        f"{person}__organisation"
    )
    gone = []
    for row in candidates:
        who = row
        for step in person.split("__"):
            who = getattr(who, step)
        if (
            add_months(who.left_on, who.organisation.supervision_retention_months)
            <= as_of
        ):
            gone.append(row.pk)
    deleted, _ = rows.model._default_manager.filter(pk__in=gone).delete()
    return deleted


def _purge_sealed_notes(*, as_of: date) -> int:
    """Delete sealed notes kept with people gone longer than their retention period."""
    from supervision.models import SealedNote

    return _delete_past_retention(
        SealedNote.objects.defer("text"), "supervisee", as_of=as_of
    )


def _purge_unshared_check_ins(*, as_of: date) -> int:
    """Delete waiting check-ins of people gone longer than their retention period."""
    return _delete_past_retention(
        PreSessionCheckIn.objects.open(), "person", as_of=as_of
    )


__all__ = [
    "NotAllowed",
    "SessionDetails",
    "SessionNotEditable",
    "StaleSession",
    "SupervisionError",
    "acknowledge_session",
    "add_action",
    "add_supervisee_reflection",
    "cancel_session",
    "complete_action",
    "create_session",
    "emptied_attendance_content",
    "ensure_default_policies",
    "finalise_session",
    "lock_own_supervisee",
    "log_access",
    "purge_expired_content",
    "record_check_in",
    "record_disagreement",
    "remove_pre_session_check_in",
    "share_pre_session_check_ins",
    "store_check_in_scores",
    "sync_supervision_status",
    "update_session",
    "write_pre_session_check_in",
]
