"""The daily sweep: status rows brought up to date, flags, reminders and escalations.

Once a day (beat at 05:30, or ``manage.py sweep``) every active person's training and
supervision status rows are re-synced, then flags are opened, escalated and closed and
the notifications that go with them are written to the outbox, in the same
transaction. The work is cut into chunks of people by id range ([lo, hi]); each chunk
is one transaction that also marks its :class:`SweepChunk` done. So:

- a second run on the same day finds its :class:`SweepRun` finished and writes nothing;
- a run killed mid-chunk committed nothing for that chunk, which simply runs again;
- two runs at once (two beat processes) take each chunk's row lock in turn, and the
  second finds the chunk done. Flags and outbox rows are guarded by unique
  constraints as well, so nothing is ever written twice.

Who is told what (``key_date`` is the deadline, so each message goes once):

==============================  ==================================================
training flag opened            the person and their supervisor (training_overdue)
training deadline in 30 days    the person (training_reminder_30), until 7 days out;
                                extensions' deadlines too
training deadline in 7 days     the person (training_reminder_7), until the day
supervision due soon            the person and their supervisor (supervision_due_soon)
supervision flag opened         the person and their supervisor (supervision_overdue)
first escalation                the supervisor's line manager; if the supervisor has
                                none, the person's own line manager
                                (supervision_escalated)
second escalation               every active provider manager in the person's
                                organisation (supervision_escalated_twice)
Mondays                         each supervisor and provider manager with something
                                to report: counts only, no names (weekly_digest)
every day, last                 each person with messages about others held for
                                it, unless they chose each at once: one summary
                                listing each message once (daily_digest, see
                                ``notifications.digest``)
==============================  ==================================================

Training notifications about one person with the same deadline are combined into one
message naming every requirement, because the outbox keys on the deadline.

Quiet start (``Organisation.quiet_start_from``, set by a go-live roster import): the
first sweep on or after that date opens and raises the organisation's flags and
records them as told, but writes none of their messages (counted as
``quiet_held``), and no weekly digest goes to it; then the quiet start is cleared.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from accounts.roles import Role
from learning.models import Requirement, TrainingStatus
from learning.rules import Status as TrainingState
from learning.services import sync_training_status
from notifications.digest import send_daily_digests
from notifications.links import (
    LinkBook,
    booking_context,
    booking_readers,
    digest_link,
)
from notifications.models import (
    Flag,
    FlagKind,
    FlagLevel,
    Notification,
    NotificationKind,
    NotificationStatus,
    SweepChunk,
    SweepRun,
    SweepRunStatus,
)
from notifications.services import NotificationRequest, enqueue_many
from supervision import controls as supervision_controls
from supervision.models import SessionBooking, SupervisionStatus
from supervision.rules import Status as SupervisionState
from supervision.rules import escalation_recipient
from supervision.services import sync_supervision_status
from workforce.models import Organisation, StaffProfile
from workforce.services import end_quiet_starts

logger = logging.getLogger(__name__)

DAILY = "daily"
DEFAULT_CHUNK_SIZE = 2000
# However many people there are, a sweep is at most this many chunks (and tasks).
MAX_CHUNKS = 100
REMINDER_30_DAYS = 30
REMINDER_7_DAYS = 7
COUNT_KEYS = (
    "training_rows",
    "supervision_rows",
    "flags_opened",
    "flags_escalated",
    "flags_closed",
    "notifications",
)
LEVEL_RANK = {
    FlagLevel.OVERDUE: 0,
    FlagLevel.ESCALATED: 1,
    FlagLevel.ESCALATED_TWICE: 2,
}
SUPERVISION_LEVEL = {
    SupervisionState.OVERDUE: FlagLevel.OVERDUE,
    SupervisionState.ESCALATED: FlagLevel.ESCALATED,
    SupervisionState.ESCALATED_TWICE: FlagLevel.ESCALATED_TWICE,
}
# Statuses in which a coming deadline is real (not paused or already past). Under an
# extension the deadline is the extension's end, which is as real as any other.
REMINDABLE = [
    TrainingState.DUE_SOON,
    TrainingState.IN_DATE,
    TrainingState.NOT_YET_DUE,
    TrainingState.EXTENSION,
]


class SweepError(Exception):
    """The sweep cannot run as asked."""


@dataclass(frozen=True)
class SweepResult:
    """What one call did: the run's status, chunks it ran and rows it wrote."""

    date: date
    status: str
    chunks_run: int
    chunks_total: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def rows_written(self) -> int:
        return sum(self.counts.get(key, 0) for key in COUNT_KEYS)


# --- The run ------------------------------------------------------------------------


def run_daily_sweep(
    *, as_of: date, chunk_size: int = DEFAULT_CHUNK_SIZE, now: datetime | None = None
) -> SweepResult:
    """Run the day's sweep here, chunk by chunk; a second run that day does nothing."""
    chunks = plan_daily_sweep(as_of=as_of, chunk_size=chunk_size, now=now)
    totals: Counter[str] = Counter()
    ran = 0
    try:
        for lo, hi in chunks:
            counts = sweep_chunk(as_of=as_of, lo=lo, hi=hi, now=now)
            if counts is not None:
                ran += 1
                totals.update(counts)
    except Exception as error:
        mark_sweep_failed(as_of=as_of, error=error, now=now)
        raise
    run = finish_daily_sweep(as_of=as_of, now=now)
    return SweepResult(
        date=as_of,
        status=run.status if run else SweepRunStatus.RUNNING,
        chunks_run=ran,
        chunks_total=SweepChunk.objects.filter(date=as_of).count(),
        counts={key: totals.get(key, 0) for key in COUNT_KEYS},
    )


def plan_daily_sweep(
    *, as_of: date, chunk_size: int = DEFAULT_CHUNK_SIZE, now: datetime | None = None
) -> list[tuple[int, int]]:
    """Record the day's run and its chunks once; return the chunks not yet done.

    Only the call that creates the day's :class:`SweepRun` cuts the chunks (in the
    same transaction), so two planners at once agree on them.
    """
    now = now or timezone.now()
    run = SweepRun.objects.filter(date=as_of, kind=DAILY).first()
    if run is None:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    SweepRun.objects.create(date=as_of, kind=DAILY, started_at=now)
            except IntegrityError:
                pass  # another planner got there first; its chunks stand
            else:
                SweepChunk.objects.bulk_create(
                    SweepChunk(date=as_of, lo=lo, hi=hi)
                    for lo, hi in chunk_bounds(as_of=as_of, chunk_size=chunk_size)
                )
                return list(_chunks_to_do(as_of))
        run = SweepRun.objects.get(date=as_of, kind=DAILY)
    if run.status == SweepRunStatus.SUCCEEDED:
        return []
    # An earlier run failed or was killed: this one carries on where it stopped.
    SweepRun.objects.filter(pk=run.pk, status=SweepRunStatus.FAILED).update(
        status=SweepRunStatus.RUNNING, finished_at=None
    )
    return list(_chunks_to_do(as_of))


def chunk_bounds(*, as_of: date, chunk_size: int) -> list[tuple[int, int]]:
    """Cut everyone into id ranges holding about ``chunk_size`` active people each.

    The ranges are contiguous from 0 to the highest id, so people who have left are
    in a chunk too and their flags get closed. Chunks grow past ``chunk_size`` when
    needed to stay within ``MAX_CHUNKS``.
    """
    last = StaffProfile.objects.aggregate(last=Max("pk"))["last"]
    if last is None:
        return []
    ids = list(
        StaffProfile.objects.active(as_of=as_of)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    size = max(chunk_size, math.ceil(len(ids) / MAX_CHUNKS), 1)
    starts = [0, *(ids[i] for i in range(size, len(ids), size))]
    ends = [start - 1 for start in starts[1:]] + [last]
    return list(zip(starts, ends, strict=True))


def sweep_chunk(
    *, as_of: date, lo: int, hi: int, now: datetime | None = None
) -> dict[str, int] | None:
    """Sweep the people with ids in [lo, hi] in one transaction; None if done already.

    The chunk's row is locked first, so a second runner waits, then finds it done.
    """
    now = now or timezone.now()
    with transaction.atomic():
        chunk = SweepChunk.objects.select_for_update().filter(date=as_of, lo=lo).first()
        if chunk is None or chunk.hi != hi:
            raise SweepError(f"no sweep chunk {lo}-{hi} planned for {as_of}")
        if chunk.done_at is not None:
            return None
        # Everyone in the range, leavers too: their rows are cleared and flags closed.
        person_ids = list(
            StaffProfile.objects.filter(pk__gte=lo, pk__lte=hi).values_list(
                "pk", flat=True
            )
        )
        counts = {
            "training_rows": sync_training_status(
                person_ids=person_ids, as_of=as_of, announce=False
            ),
            "supervision_rows": sync_supervision_status(
                person_ids=person_ids, as_of=as_of, announce=False
            ),
        }
        counts.update(maintain_flags(lo=lo, hi=hi, as_of=as_of, now=now))
        counts["notifications"] += send_booking_reminders(
            lo=lo, hi=hi, as_of=as_of, now=now
        )
        chunk.done_at = now
        chunk.counts = counts
        chunk.save(update_fields=["done_at", "counts"])
    return counts


def finish_daily_sweep(*, as_of: date, now: datetime | None = None) -> SweepRun | None:
    """Mark the day's run succeeded once every chunk is done; send Monday's digests
    and the day's summaries.

    Returns None while chunks remain. Safe to call from every chunk: the run's row
    is locked and only the first call after the last chunk does anything.
    """
    now = now or timezone.now()
    with transaction.atomic():
        run = SweepRun.objects.select_for_update().get(date=as_of, kind=DAILY)
        if run.status == SweepRunStatus.SUCCEEDED:
            return run
        chunks = list(SweepChunk.objects.filter(date=as_of).values("done_at", "counts"))
        if any(chunk["done_at"] is None for chunk in chunks):
            return None
        counts: Counter[str] = Counter({key: 0 for key in COUNT_KEYS})
        for chunk in chunks:
            counts.update(chunk["counts"])
        counts["chunks"] = len(chunks)
        if run.counts and run.counts.get("redispatches"):
            counts["redispatches"] = run.counts["redispatches"]
        extra: dict[str, str] = {}
        quiet = quiet_organisations(as_of)
        digest_day = owed_digest(as_of)
        if digest_day is not None:
            counts["digests"] = send_weekly_digests(
                as_of=digest_day, now=now, skip_organisations=quiet
            )
            extra["digest_of"] = digest_day.isoformat()
        # Last, so it gathers every message this run held for a summary.
        counts["daily_digests"] = send_daily_digests(as_of=as_of, now=now)
        counts["leavers"] = _end_leavers_access(as_of=as_of, now=now)
        if quiet:
            # Their first sweep is done: from tomorrow they are told as everyone is.
            end_quiet_starts(organisation_ids=quiet, as_of=as_of)
            counts["quiet_started"] = len(quiet)
        run.status = SweepRunStatus.SUCCEEDED
        run.finished_at = now
        run.counts = {**counts, **extra}
        run.save(update_fields=["status", "finished_at", "counts"])
    logger.info("daily sweep of %s finished: %s", as_of, dict(counts))
    return run


def owed_digest(as_of: date) -> date | None:
    """Return the Monday whose digest the run of ``as_of`` should send, or None.

    Monday's run sends it. If Monday's sweep never ran or never finished (beat or
    the workers were down), the first run to finish later that week sends it,
    once: a run that sent a digest records ``digests`` in its counts, and the
    messages are keyed by the Monday, so they could not go twice anyway.
    """
    monday = as_of - timedelta(days=as_of.weekday())
    if (
        as_of != monday
        and not SweepRun.objects.filter(kind=DAILY, date__lte=monday).exists()
    ):
        # Nothing swept by Monday: a system that went live mid-week owes nothing.
        return None
    sent = SweepRun.objects.filter(
        kind=DAILY,
        date__gte=monday,
        date__lt=as_of,
        status=SweepRunStatus.SUCCEEDED,
        counts__has_key="digests",
    ).exists()
    return None if sent else monday


def _end_leavers_access(*, as_of: date, now: datetime) -> int:
    from accounts.leavers import end_leavers_access

    return end_leavers_access(as_of=as_of, now=now)


def mark_sweep_failed(
    *, as_of: date, error: BaseException, now: datetime | None = None
) -> None:
    """Record that the day's run stopped on an error (the next run carries on)."""
    SweepRun.objects.filter(
        date=as_of, kind=DAILY, status=SweepRunStatus.RUNNING
    ).update(
        status=SweepRunStatus.FAILED,
        finished_at=now or timezone.now(),
        counts={"error": type(error).__name__},
    )


def _chunks_to_do(as_of: date) -> Iterable[tuple[int, int]]:
    return (
        SweepChunk.objects.filter(date=as_of, done_at__isnull=True)
        .order_by("lo")
        .values_list("lo", "hi")
    )


# --- Flags and the messages that go with them ---------------------------------------


@dataclass
class _Messages:
    """The notifications a chunk wants written, grouped so each key is asked once."""

    # (person id, kind, deadline) -> requirement ids, for training messages.
    training: dict[tuple[int, str, date], set[int]] = field(
        default_factory=lambda: defaultdict(set)
    )
    # (person id, kind, due date), for supervision messages.
    supervision: set[tuple[int, str, date]] = field(default_factory=set)
    # (person id, flag kind, day opened), for the controls beside the ladder.
    controls: set[tuple[int, str, date]] = field(default_factory=set)


FlagKey = tuple[int, str, int | None]
# What a source wants open: the flag's level and deadline.
Wanted = dict[FlagKey, tuple[str, date]]


@dataclass(frozen=True)
class FlagSource:
    """Where one kind of flag comes from: the status rows that open it, and the
    messages that go with it. A new kind is a :class:`FlagKind` choice and one of
    these in :data:`FLAG_SOURCES`; opening, raising, closing and the page follow.

    ``wanted(people, active, as_of, messages)`` returns the flags that should be open
    for the people matched by the Q ``people`` (on ``person_id``) who are in
    ``active``, and adds any reminders to ``messages``. ``opened`` and ``raised`` ask
    for the messages of a flag just opened, or raised from one level to another.
    """

    kind: str
    wanted: Callable[[Q, set[int], date, _Messages], Wanted]
    opened: Callable[[Flag, _Messages], None]
    raised: Callable[[Flag, str, str, _Messages], None] = lambda *args: None


def maintain_flags(*, lo: int, hi: int, as_of: date, now: datetime) -> dict[str, int]:
    """Open, escalate and close flags for people in [lo, hi]; write their messages.

    Set-based: a handful of queries for the whole chunk, whatever its size.
    """
    active = set(
        StaffProfile.objects.filter(pk__gte=lo, pk__lte=hi)
        .active(as_of=as_of)
        .values_list("pk", flat=True)
    )
    return _maintain(
        Q(person_id__gte=lo, person_id__lte=hi),
        active=active,
        kinds=list(FLAG_SOURCES),
        as_of=as_of,
        now=now,
        notify=True,
    )


def refresh_flags(
    *,
    person_ids: Iterable[int],
    kinds: Iterable[str] | None = None,
    as_of: date,
    now: datetime | None = None,
) -> dict[str, int]:
    """Bring these people's flags of these kinds (default all) in line with their
    status rows now, in the caller's transaction: what an event calls, so a flag
    closes the moment the person is back in date. The same rules as the sweep; the
    messages wait for the sweep (see ``Flag.notified_level``)."""
    ids = sorted(set(person_ids))
    if not ids:
        return {"flags_opened": 0, "flags_escalated": 0, "flags_closed": 0}
    active = set(
        StaffProfile.objects.filter(pk__in=ids)
        .active(as_of=as_of)
        .values_list("pk", flat=True)
    )
    return _maintain(
        Q(person_id__in=ids),
        active=active,
        kinds=list(kinds) if kinds is not None else list(FLAG_SOURCES),
        as_of=as_of,
        now=now or timezone.now(),
        notify=False,
    )


def _maintain(
    people: Q,
    *,
    active: set[int],
    kinds: list[str],
    as_of: date,
    now: datetime,
    notify: bool,
) -> dict[str, int]:
    """Open, raise and close the flags of ``kinds`` for ``people``.

    With ``notify`` (the sweep), also write the messages: reminders, and for each
    open flag whatever its people have not yet been told (``notified_level``).
    Without it (an event), flags change at once and the messages wait for the sweep.
    """
    open_flags = {
        (flag.person_id, flag.kind, flag.requirement_id): flag
        for flag in Flag.objects.open().filter(people, kind__in=kinds)
    }
    wanted: Wanted = {}
    messages = _Messages()
    for kind in kinds:
        wanted.update(FLAG_SOURCES[kind].wanted(people, active, as_of, messages))

    to_close: list[Flag] = []
    to_raise: list[Flag] = []
    to_open: list[Flag] = []
    staying: list[Flag] = []
    for key, flag in open_flags.items():
        want = wanted.get(key)
        if want is None or want[1] != flag.deadline:
            flag.closed_on = as_of
            to_close.append(flag)
            continue
        staying.append(flag)
        if LEVEL_RANK[FlagLevel(want[0])] > LEVEL_RANK[FlagLevel(flag.level)]:
            flag.level = want[0]
            flag.escalated_on = flag.escalated_on or as_of
            to_raise.append(flag)
    closed = {(f.person_id, f.kind, f.requirement_id) for f in to_close}
    for key, (level, deadline) in wanted.items():
        if key in open_flags and key not in closed:
            continue
        person_id, flag_kind, requirement_id = key
        to_open.append(
            Flag(
                person_id=person_id,
                kind=flag_kind,
                requirement_id=requirement_id,
                level=level,
                deadline=deadline,
                opened_on=as_of,
                escalated_on=as_of if level != FlagLevel.OVERDUE else None,
            )
        )

    told: list[Flag] = []
    if notify:
        for flag in [*staying, *to_open]:
            if _rank(flag.notified_level) >= _rank(flag.level):
                continue
            source = FLAG_SOURCES[flag.kind]
            if not flag.notified_level:
                source.opened(flag, messages)
            else:
                source.raised(flag, flag.notified_level, flag.level, messages)
            flag.notified_level = flag.level
            if flag.pk is not None:
                told.append(flag)
    else:
        messages = _Messages()  # reminders too are the sweep's to send

    requests = _requests(messages, as_of=as_of)
    quiet = _quiet_people(active, as_of=as_of) if requests else set()
    held = Counter(
        str(request.kind)
        for request in requests
        if request.subject_person and request.subject_person.pk in quiet
    )
    if held:
        # Quiet start: the flags above are recorded as told, and nobody is.
        requests = [
            request
            for request in requests
            if not (request.subject_person and request.subject_person.pk in quiet)
        ]

    # Close and raise before opening: a flag reopened for a new deadline must not
    # meet its old self in the one-open-flag constraint.
    if to_close:
        Flag.objects.bulk_update(to_close, ["closed_on"], batch_size=500)
    updated = {flag.pk: flag for flag in [*to_raise, *told]}
    if updated:
        Flag.objects.bulk_update(
            list(updated.values()),
            ["level", "escalated_on", "notified_level"],
            batch_size=500,
        )
    if to_open:
        Flag.objects.bulk_create(to_open, batch_size=500)
    written = enqueue_many(requests=requests, now=now)
    counts = {
        "flags_opened": len(to_open),
        "flags_escalated": len(to_raise),
        "flags_closed": len(to_close),
        "notifications": written,
    }
    if held:
        counts["quiet_held"] = sum(held.values())
        counts.update({f"quiet_held:{kind}": n for kind, n in held.items()})
    return counts


def _quiet_people(person_ids: set[int], *, as_of: date) -> set[int]:
    """The people whose organisation is starting quietly on this sweep."""
    return set(
        StaffProfile.objects.filter(
            pk__in=person_ids, organisation__quiet_start_from__lte=as_of
        ).values_list("pk", flat=True)
    )


def quiet_organisations(as_of: date) -> list[int]:
    """The organisations whose quiet start this sweep is."""
    return list(
        Organisation.objects.filter(quiet_start_from__lte=as_of).values_list(
            "pk", flat=True
        )
    )


def next_sweep_day(as_of: date) -> date:
    """The date of the next daily sweep to run: today's, unless it has finished."""
    done = SweepRun.objects.filter(
        date=as_of, kind=DAILY, status=SweepRunStatus.SUCCEEDED
    ).exists()
    return as_of + timedelta(days=1) if done else as_of


def preview_sweep(
    *, person_ids: Iterable[int], as_of: date
) -> tuple[Counter[str], Counter[str]]:
    """Say what the sweep of ``as_of`` would email about these people, by kind,
    and what quiet start would hold back. It runs the sweep's own steps for them,
    writing as the sweep would: call it only inside a transaction that is then
    rolled back (the roster import's check does)."""
    ids = sorted(set(person_ids))
    now = timezone.now()
    before = Notification.objects.aggregate(last=Max("pk"))["last"] or 0
    sync_training_status(person_ids=ids, as_of=as_of, announce=False)
    sync_supervision_status(person_ids=ids, as_of=as_of, announce=False)
    active = set(
        StaffProfile.objects.filter(pk__in=ids)
        .active(as_of=as_of)
        .values_list("pk", flat=True)
    )
    counts = _maintain(
        Q(person_id__in=ids),
        active=active,
        kinds=list(FLAG_SOURCES),
        as_of=as_of,
        now=now,
        notify=True,
    )
    digest_day = owed_digest(as_of)
    if digest_day is not None:
        send_weekly_digests(
            as_of=digest_day, now=now, skip_organisations=quiet_organisations(as_of)
        )
    new = Notification.objects.filter(pk__gt=before)
    # Each message alone, a weekly digest only to the people imported, and one
    # daily summary for each person with messages held for one.
    sent = Counter(
        new.filter(status=NotificationStatus.PENDING)
        .exclude(
            Q(kind=NotificationKind.WEEKLY_DIGEST) & ~Q(recipient__profile__in=ids)
        )
        .values_list("kind", flat=True)
    )
    summaries = (
        new.filter(status=NotificationStatus.HELD)
        .values("recipient_id")
        .distinct()
        .count()
    )
    if summaries:
        sent[NotificationKind.DAILY_DIGEST.value] += summaries
    held = Counter(
        {
            key.removeprefix("quiet_held:"): n
            for key, n in counts.items()
            if key.startswith("quiet_held:")
        }
    )
    return sent, held


def _rank(level: str) -> int:
    return LEVEL_RANK[FlagLevel(level)] if level else -1


def _training_wanted(
    people: Q, active: set[int], as_of: date, messages: _Messages
) -> Wanted:
    """Overdue training opens a flag; a deadline within 30 days gets a reminder."""
    wanted: Wanted = {}
    training_due = (
        TrainingStatus.objects.filter(people)
        .with_status(as_of)
        .filter(
            Q(status=TrainingState.OVERDUE)
            | Q(
                status__in=REMINDABLE,
                deadline__gt=as_of,
                deadline__lte=as_of + timedelta(days=REMINDER_30_DAYS),
            )
        )
    )
    # ``status`` is the with_status() annotation, which the stubs cannot see.
    for person_id, requirement_id, status, deadline in training_due.values_list(  # type: ignore[misc]
        "person_id", "requirement_id", "status", "deadline"
    ):
        if person_id not in active:
            continue
        if status == TrainingState.OVERDUE:
            wanted[(person_id, FlagKind.TRAINING, requirement_id)] = (
                FlagLevel.OVERDUE,
                deadline,
            )
            continue
        kind = (
            NotificationKind.TRAINING_REMINDER_7
            if (deadline - as_of).days <= REMINDER_7_DAYS
            else NotificationKind.TRAINING_REMINDER_30
        )
        messages.training[(person_id, kind, deadline)].add(requirement_id)
    return wanted


def _training_opened(flag: Flag, messages: _Messages) -> None:
    assert flag.requirement_id is not None  # a training flag names its requirement
    messages.training[
        (flag.person_id, NotificationKind.TRAINING_OVERDUE, flag.deadline)
    ].add(flag.requirement_id)


def _supervision_wanted(
    people: Q, active: set[int], as_of: date, messages: _Messages
) -> Wanted:
    """Overdue supervision opens a flag at its rung of the ladder; due soon is told."""
    wanted: Wanted = {}
    # ``status`` is the with_status() annotation, which the stubs cannot see.
    supervision_due = (
        SupervisionStatus.objects.filter(people)  # type: ignore[misc]
        .with_status(as_of=as_of)
        .filter(status__in=[SupervisionState.DUE_SOON, *SUPERVISION_LEVEL])
    )
    for person_id, status, due_on in supervision_due.values_list(  # type: ignore[misc]
        "person_id", "status", "due_on"
    ):
        if person_id not in active:
            continue
        if status == SupervisionState.DUE_SOON:
            messages.supervision.add(
                (person_id, NotificationKind.SUPERVISION_DUE_SOON, due_on)
            )
        else:
            wanted[(person_id, FlagKind.SUPERVISION, None)] = (
                SUPERVISION_LEVEL[SupervisionState(status)],
                due_on,
            )
    return wanted


def _supervision_opened(flag: Flag, messages: _Messages) -> None:
    messages.supervision.add(
        (flag.person_id, NotificationKind.SUPERVISION_OVERDUE, flag.deadline)
    )
    _note_escalation(messages, flag, old=FlagLevel.OVERDUE, new=flag.level)


def _supervision_raised(flag: Flag, old: str, new: str, messages: _Messages) -> None:
    _note_escalation(messages, flag, old=old, new=new)


def _control_source(kind: str) -> FlagSource:
    """A flag for one of supervision's controls: open from the day its rule says
    (``supervision.controls``), told once to the people ``CONTROL_RECIPIENTS``
    names, closed when the rule no longer holds. Never escalated."""
    controls = {
        FlagKind.NO_BOOKING: supervision_controls.booking_missing,
        FlagKind.DRAFT: supervision_controls.draft_unfinalised,
        FlagKind.AGREEMENT: supervision_controls.agreement_missing,
        FlagKind.REGISTRATION: supervision_controls.supervisor_unregistered,
        FlagKind.DEBRIEF: supervision_controls.debrief_overdue,
        FlagKind.UNANNOUNCED: supervision_controls.unannounced_visit_due,
        FlagKind.REBOOKING: supervision_controls.rebooking_missing,
    }
    opened_on = controls[FlagKind(kind)]

    def wanted(people: Q, active: set[int], as_of: date, messages: _Messages) -> Wanted:
        return {
            (person_id, kind, None): (FlagLevel.OVERDUE, day)
            for person_id, day in opened_on(active, as_of=as_of).items()
        }

    def opened(flag: Flag, messages: _Messages) -> None:
        messages.controls.add((flag.person_id, flag.kind, flag.deadline))

    return FlagSource(kind=kind, wanted=wanted, opened=opened)


FLAG_SOURCES: dict[str, FlagSource] = {
    FlagKind.TRAINING: FlagSource(
        kind=FlagKind.TRAINING, wanted=_training_wanted, opened=_training_opened
    ),
    FlagKind.SUPERVISION: FlagSource(
        kind=FlagKind.SUPERVISION,
        wanted=_supervision_wanted,
        opened=_supervision_opened,
        raised=_supervision_raised,
    ),
    **{
        kind: _control_source(kind)
        for kind in (
            FlagKind.NO_BOOKING,
            FlagKind.DRAFT,
            FlagKind.AGREEMENT,
            FlagKind.REGISTRATION,
            FlagKind.DEBRIEF,
            FlagKind.UNANNOUNCED,
            FlagKind.REBOOKING,
        )
    },
}


def control_recipients(kind: str, person: StaffProfile) -> list[StaffProfile | None]:
    """Who hears of a control flag on ``person``: the two people for a missing
    booking or agreement, or a cancelled session with no new date; the supervisor
    for their own unfinalised draft (a draft never escalates the supervisee); the
    manager for an unregistered supervisor; the supervisor and the person's line
    manager for an overdue debrief; the supervising social worker alone for a
    foster carer's unannounced visit."""
    if kind == FlagKind.DRAFT:
        return [person]
    if kind == FlagKind.REGISTRATION:
        return [escalation_manager(person)]
    if kind == FlagKind.DEBRIEF:
        return [person.supervisor, person.line_manager]
    if kind == FlagKind.UNANNOUNCED:
        return [person.supervisor]  # never the carer: it would be announced
    return [person, person.supervisor]


def _note_escalation(messages: _Messages, flag: Flag, *, old: str, new: str) -> None:
    """Ask for the message of each escalation step passed between two levels."""
    for level, kind in (
        (FlagLevel.ESCALATED, NotificationKind.SUPERVISION_ESCALATED),
        (FlagLevel.ESCALATED_TWICE, NotificationKind.SUPERVISION_ESCALATED_TWICE),
    ):
        if LEVEL_RANK[FlagLevel(old)] < LEVEL_RANK[level] <= LEVEL_RANK[FlagLevel(new)]:
            messages.supervision.add((flag.person_id, kind, flag.deadline))


def _requests(messages: _Messages, *, as_of: date) -> list[NotificationRequest]:
    """Turn the chunk's wanted messages into outbox requests, with recipients."""
    person_ids = (
        {key[0] for key in messages.training}
        | {key[0] for key in messages.supervision}
        | {key[0] for key in messages.controls}
    )
    if not person_ids:
        return []
    people = {
        person.pk: person
        for person in StaffProfile.objects.filter(pk__in=person_ids).select_related(
            "user",
            "supervisor__user",
            "supervisor__line_manager__user",
            "line_manager__user",
        )
    }
    twice_orgs = {
        people[person_id].organisation_id
        for person_id, kind, _ in messages.supervision
        if kind == NotificationKind.SUPERVISION_ESCALATED_TWICE
    }
    managers: dict[int, list[StaffProfile]] = defaultdict(list)
    if twice_orgs:
        for manager in (
            StaffProfile.objects.active(as_of=as_of)
            .filter(
                organisation_id__in=twice_orgs,
                user__groups__name=Role.PROVIDER_MANAGER.value,
                user__is_active=True,
            )
            .select_related("user")
            .distinct()
        ):
            managers[manager.organisation_id].append(manager)
    titles = dict(
        Requirement.objects.filter(
            pk__in={r for ids in messages.training.values() for r in ids}
        ).values_list("pk", "module__title")
    )

    links = LinkBook(person_ids)
    requests: list[NotificationRequest] = []
    for (person_id, kind, deadline), requirement_ids in messages.training.items():
        person = people[person_id]
        names = sorted(titles[r] for r in requirement_ids)
        context = {
            "requirement": "training on " + _and_list(names),
            "days_left": (deadline - as_of).days,
        }
        recipients: list[StaffProfile | None] = [person]
        if kind == NotificationKind.TRAINING_OVERDUE:
            recipients.append(person.supervisor)
        requests += _to(
            recipients, kind, person, deadline, context, as_of=as_of, links=links
        )
    for person_id, kind, due_on in messages.supervision:
        person = people[person_id]
        context = {}
        if kind in (
            NotificationKind.SUPERVISION_DUE_SOON,
            NotificationKind.SUPERVISION_OVERDUE,
        ):
            recipients = [person, person.supervisor]
        elif kind == NotificationKind.SUPERVISION_ESCALATED:
            recipients = [escalation_manager(person)]
        else:
            recipients = [m for m in managers[person.organisation_id] if m != person]
        requests += _to(
            recipients, kind, person, due_on, context, as_of=as_of, links=links
        )
    for person_id, flag_kind, opened_on in messages.controls:
        person = people[person_id]
        requests += _to(
            control_recipients(flag_kind, person),
            NotificationKind.SUPERVISION_CHECK,
            person,
            opened_on,
            {"check": flag_kind},
            as_of=as_of,
            links=links,
            reference=flag_kind,
        )
    return requests


def escalation_manager(person: StaffProfile) -> StaffProfile | None:
    """Return who hears of a first escalation, as ``rules.escalation_recipient``
    decides (the people are loaded with the chunk, so this asks nothing more)."""
    supervisor = person.supervisor
    chosen = escalation_recipient(
        supervisor_id=supervisor.pk if supervisor else None,
        supervisors_manager_id=supervisor.line_manager_id if supervisor else None,
        line_manager_id=person.line_manager_id,
    )
    if chosen is None:
        return None
    if supervisor is not None and chosen == supervisor.line_manager_id:
        return supervisor.line_manager
    return person.line_manager


def _to(
    recipients: Iterable[StaffProfile | None],
    kind: str,
    person: StaffProfile,
    key_date: date,
    context: dict[str, object],
    *,
    as_of: date,
    links: LinkBook,
    reference: str = "",
) -> list[NotificationRequest]:
    """One request per distinct, active recipient, each with its own link."""
    seen: set[int] = set()
    requests = []
    for recipient in recipients:
        if (
            recipient is None
            or recipient.pk in seen
            or not recipient.is_active_on(as_of)
            or not recipient.user.is_active
        ):
            continue
        seen.add(recipient.pk)
        requests.append(
            NotificationRequest(
                recipient=recipient.user,
                kind=kind,
                key_date=key_date,
                subject_person=person,
                context=context,
                link=partial(links.link, kind, recipient=recipient.user, person=person),
                reference=reference,
            )
        )
    return requests


def _and_list(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


# --- Reminders of booked sessions -------------------------------------------------


def send_booking_reminders(*, lo: int, hi: int, as_of: date, now: datetime) -> int:
    """Remind both people of a session booked for tomorrow, once per booking and day
    (a booking moved to another day is reminded again)."""
    bookings = (
        SessionBooking.objects.live()
        .filter(
            supervisee_id__gte=lo,
            supervisee_id__lte=hi,
            starts_at__date=as_of + timedelta(days=1),
        )
        .select_related("supervisor__user", "supervisee__user")
    )
    requests = []
    for booking in bookings:
        context = booking_context(booking)
        for person, url in booking_readers(booking):
            if not person.is_active_on(as_of) or not person.user.is_active:
                continue
            requests.append(
                NotificationRequest(
                    recipient=person.user,
                    kind=NotificationKind.BOOKING_REMINDER,
                    key_date=timezone.localtime(booking.starts_at).date(),
                    subject_person=booking.supervisee,
                    context={**context, "url": url},
                    reference=f"booking:{booking.pk}",
                )
            )
    return enqueue_many(requests=requests, now=now)


# --- The weekly digest --------------------------------------------------------------


def send_weekly_digests(
    *, as_of: date, now: datetime, skip_organisations: Iterable[int] = ()
) -> int:
    """Write Monday's summary for supervisors and provider managers: counts only.

    Each gets one message keyed by the Monday's date, listing how many people they
    look after have something overdue and how many supervision flags are escalated.
    Nobody with nothing to report is written to.
    """
    flags = Flag.objects.open().filter(
        person__in=StaffProfile.objects.active(as_of=as_of).exclude(
            organisation_id__in=list(skip_organisations)
        )
    )
    figures = {
        "people": Count("person_id", distinct=True),
        "escalated": Count(
            "pk", filter=Q(kind=FlagKind.SUPERVISION) & ~Q(level=FlagLevel.OVERDUE)
        ),
    }
    by_supervisor = {
        row["person__supervisor_id"]: row
        for row in flags.filter(person__supervisor__isnull=False)
        .values("person__supervisor_id")
        .annotate(**figures)
    }
    by_org = {
        row["person__organisation_id"]: row
        for row in flags.values("person__organisation_id").annotate(**figures)
    }
    items: dict[int, list[str]] = defaultdict(list)
    users = {}
    for supervisor in (
        StaffProfile.objects.active(as_of=as_of)
        .filter(pk__in=list(by_supervisor), user__is_active=True)
        .select_related("user")
    ):
        row = by_supervisor[supervisor.pk]
        users[supervisor.user_id] = supervisor.user
        items[supervisor.user_id] += _digest_lines(row, as_supervisor=True)
    for manager in (
        StaffProfile.objects.active(as_of=as_of)
        .filter(
            organisation_id__in=list(by_org),
            user__groups__name=Role.PROVIDER_MANAGER.value,
            user__is_active=True,
        )
        .select_related("user")
        .distinct()
    ):
        org_row = by_org[manager.organisation_id]
        users[manager.user_id] = manager.user
        items[manager.user_id] += _digest_lines(org_row, as_supervisor=False)
    return enqueue_many(
        requests=[
            NotificationRequest(
                recipient=users[user_id],
                kind=NotificationKind.WEEKLY_DIGEST,
                key_date=as_of,
                context={"items": lines, "url": digest_link(users[user_id])},
            )
            for user_id, lines in items.items()
            if lines
        ],
        now=now,
    )


def _digest_lines(row: Mapping[str, object], *, as_supervisor: bool) -> list[str]:
    people, escalated = row["people"], row["escalated"]
    lines = []
    if people:
        verb = "has" if people == 1 else "have"
        if as_supervisor:
            lines.append(f"{people} of your supervisees {verb} something overdue")
        else:
            noun = "person" if people == 1 else "people"
            lines.append(
                f"{people} {noun} in your organisation {verb} something overdue"
            )
    if escalated:
        noun = "escalation" if escalated == 1 else "escalations"
        where = "among your supervisees" if as_supervisor else "in your organisation"
        lines.append(f"{escalated} supervision {noun} {where}")
    return lines
