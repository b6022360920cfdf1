"""A year of demo supervision for the demo county: fictional, humane, case refs only.

Deterministic (fixed seed, dates relative to ``as_of``) and idempotent: anyone who
already has a session is left alone, so a second run adds nothing.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from supervision.models import (
    SessionAction,
    SessionAttendance,
    SupervisionSession,
)
from supervision.rules import check_in_prompts, stage_end
from supervision.services import (
    ensure_default_policies,
    store_check_in_scores,
    sync_supervision_status,
)
from workforce.demo import SeededWorkforce
from workforce.models import StaffProfile

# Days since the last session, by the state we want someone to be in on ``as_of``.
STATE_GAPS = {
    "in_date": (3, 18),
    "due_soon": (22, 27),
    "overdue": (30, 40),
    "escalated": (43, 54),
    "escalated_twice": (57, 70),
}
# The supervisor's own team shows every state; everyone else is mostly in date.
TEAM_PATTERN = [
    "due_soon",  # practitioner
    "in_date",
    "in_date",
    "overdue",
    "escalated",
    "escalated_twice",
    "in_date",
    "due_soon",
    "in_date",
    "overdue",
    "in_date",
]
OTHERS = ["in_date"] * 7 + ["due_soon", "overdue", "escalated"]

EXPERIENCES = [
    "A joint visit with police to C-{ref} after a missing episode. The young person "
    "talked for the first time about the adults who collect them in cars.",
    "Strategy meeting for C-{ref}. Agencies disagreed about the level of risk and the "
    "discussion became tense.",
    "Return-home interview for C-{ref}. The young person was guarded and left early.",
    "A week of court preparation on C-{ref} alongside two new referrals.",
    "Outreach session with C-{ref} went well: they asked to meet again next week.",
]
FEELINGS = [
    "Felt unsettled afterwards and found the details coming back in the evening.",
    "Frustrated at how slowly the disruption plan is moving; also some relief at "
    "being heard by the panel.",
    "Worried about getting it wrong. Tired, but glad of the team's support.",
    "Calmer than last month. Proud of the relationship that is building.",
]
ANALYSIS = [
    "We talked about how grooming makes young people protect the people harming them, "
    "and why the lack of a disclosure is not a lack of risk.",
    "We looked at where the pressure sits: workload, not the case itself.",
    "Linked the frustration to feeling powerless about the multi-agency response.",
]
LEARNING = [
    "Keep the contextual safeguarding map up to date before each strategy meeting.",
    "It is all right to pause a visit and come back to it.",
    "Name the emotional impact early rather than waiting for it to build.",
]
PLANS = [
    "Book a debrief after the next court hearing. Protected time on Friday afternoon.",
    "Share the disruption plan with the police lead. Take a full lunch break.",
    "Review caseload at the next session; no new allocations this week.",
]
WELLBEING = [
    "Sleep has been broken after late visits. Talked about switching-off routines and "
    "the employee assistance line.",
    "Feeling supported by the team; workload is heavy but manageable for now.",
    "Some images from a recent case are staying with them. Agreed an extra session.",
]
DECISIONS = [
    "C-{ref}: request a multi-agency child exploitation meeting this week.",
    "C-{ref}: step up visits to weekly; share concerns about the address with police.",
    "C-{ref}: close to the team after the agreed review; refer to youth service.",
]
STAFF_TEXT = {
    "experience": EXPERIENCES,
    "feelings": FEELINGS,
    "analysis": ANALYSIS,
    "learning": LEARNING,
    "plan": PLANS,
    "decisions": DECISIONS,
    "wellbeing": WELLBEING,
}
# The supervisee's own reflections (their words, not the supervisor's), and how each
# changed their practice: some are chosen for their CPD record.
OWN_REFLECTIONS = [
    (
        "Saying out loud how the last visit stayed with me made it smaller. I had "
        "been treating it as something to cope with alone.",
        "I now note the emotional impact in my visit log the same day.",
    ),
    (
        "I understand better why the lack of a disclosure is not the lack of risk, "
        "and how to keep my curiosity when a young person defends the adult.",
        "I plan visits around what the young person wants to talk about first.",
    ),
    (
        "The session helped me separate the workload problem from the case itself.",
        "I raise caseload pressure at supervision instead of waiting for it to build.",
    ),
]


# A foster carer's supervisory visit with their supervising social worker: the
# household, the child placed (by reference only) and the carer's own wellbeing.
FOSTER_TEXT = {
    "experience": [
        "C-{ref} came home two hours late again and would not say where they had "
        "been. A new phone appeared last week.",
        "A calmer month at home. C-{ref} joined in the family meal most evenings.",
        "The carers noticed C-{ref} being picked up near school by an older driver "
        "and reported it to the child's social worker the same day.",
    ],
    "feelings": [
        "Anxious in the evenings waiting for the door; the whole household is tired.",
        "Relieved the safer caring plan is working; still on edge at weekends.",
        "Hurt when C-{ref} shouted that no one at home cares. Talked it through.",
    ],
    "analysis": [
        "We went through the missing-from-care protocol and who to ring first, and "
        "why waiting to be sure is not needed before reporting.",
        "We looked at how gifts and attention from older people can be grooming.",
    ],
    "learning": [
        "Keep the daily log factual and timed; it helps the child's social worker.",
        "Ask the fostering team for respite before it feels like a crisis.",
    ],
    "plan": [
        "Update the safer caring plan. Book the carers on the CSE specialist course.",
        "Agree a weekend support call; a supervisory visit again next month.",
    ],
    "decisions": [
        "C-{ref}: share the driver's description with the child's social worker.",
        "C-{ref}: review the phone and internet rules in the safer caring plan.",
    ],
    "wellbeing": [
        "Sleep broken by late returns; talked about the out-of-hours line and a "
        "carers' support group.",
        "Feeling supported by the fostering team; the household needs a break soon.",
    ],
}


def _text(rng: random.Random, options: list[str]) -> str:
    return rng.choice(options).format(ref=rng.randint(1000, 1999))


@transaction.atomic
def seed(*, as_of: date, workforce: SeededWorkforce) -> str:
    """Create a year of sessions for everyone supervised in the demo county."""
    ensure_default_policies()
    rng = random.Random(2026)
    people = sorted(
        (p for p in workforce.people if p.supervisor_id and p.is_active_on(as_of)),
        key=lambda p: p.pk,
    )
    already = set(
        SessionAttendance.objects.filter(person__in=people).values_list(
            "person_id", flat=True
        )
    )
    supervisor = next(
        (p for p in workforce.people if p.user.username == "supervisor"), None
    )
    practitioner = next(
        (p for p in workforce.people if p.user.username == "practitioner"), None
    )
    team = [practitioner] + [
        p for p in people if supervisor and p.supervisor_id == supervisor.pk
    ]
    team = list(dict.fromkeys(p for p in team if p is not None))
    states = {p.pk: TEAM_PATTERN[i % len(TEAM_PATTERN)] for i, p in enumerate(team)}
    supervisors = {
        p.pk: p
        for p in StaffProfile.objects.filter(pk__in={x.supervisor_id for x in people})
    }
    made = 0
    session_ids: list[int] = []
    for index, person in enumerate(people):
        if person.pk in already:
            continue
        state = states.get(person.pk, OTHERS[index % len(OTHERS)])
        low, high = STATE_GAPS[state]
        last = as_of - timedelta(days=rng.randint(low, high))
        # Foster carers: monthly visits; newly qualified social workers: weekly,
        # then fortnightly, then monthly, counted from their start in role.
        interval = 30 if person.is_foster_carer else 28
        first = max(person.started_in_role, as_of - timedelta(days=365))
        dates = []
        day = last
        while day >= first:
            dates.append(day)
            if person.job_role.slug == "nqsw":
                day -= timedelta(days=_nqsw_gap(person.started_in_role, day))
            else:
                day -= timedelta(days=interval + rng.randint(-3, 3))
        heavy = person == practitioner or index % 9 == 4
        for number, held_on in enumerate(sorted(dates)):
            latest = held_on == last
            session = _session(
                rng,
                supervisor=supervisors[person.supervisor_id],
                person=person,
                held_on=held_on,
                # The practitioner's latest record waits for them to acknowledge.
                acknowledged=not (latest and person == practitioner),
                heavy=heavy and number >= len(dates) - 3,
                open_action=latest,
                as_of=as_of,
                newly_qualified=person.job_role.slug == "nqsw",
                # A foster carer's visit four before the latest was unannounced
                # (at least one a year); a carer with fewer visits is due one.
                unannounced=person.is_foster_carer and number == len(dates) - 4,
            )
            session_ids.append(session.pk)
            made += 1
        if heavy and index % 3 == 1 and len(dates) > 1:
            # An incident debrief between two scheduled sessions: a few people a
            # year, on top of their supervision, never instead of it.
            debrief = _session(
                rng,
                supervisor=supervisors[person.supervisor_id],
                person=person,
                held_on=sorted(dates)[-2] + timedelta(days=3),
                acknowledged=True,
                heavy=True,
                open_action=False,
                as_of=as_of,
                format="debrief",
            )
            session_ids.append(debrief.pk)
            made += 1
        if state == "in_date" and index % 4 == 0:
            # A session held last week but still being written up.
            _session(
                rng,
                supervisor=supervisors[person.supervisor_id],
                person=person,
                held_on=as_of - timedelta(days=1),
                acknowledged=False,
                heavy=False,
                open_action=False,
                as_of=as_of,
                draft=True,
            )
    if practitioner is not None:
        _practitioners_reflections(practitioner)
    # The same service a finalised session goes through, for the aggregates.
    store_check_in_scores(session_ids=session_ids, include_closed=True)
    changed = sync_supervision_status(as_of=as_of)
    return (
        f"{made} sessions added for {len(people) - len(already)} people; "
        f"{changed} status rows updated."
    )


def _nqsw_gap(started: date, day: date) -> int:
    """Days back to a newly qualified worker's previous session from one on
    ``day``: the interval of the stage they were in just before it (LGA standard
    5: weekly to six weeks, fortnightly to six months, then monthly)."""
    earlier = day - timedelta(days=7)
    if earlier < stage_end(started, 6, "weeks"):
        return 7
    if earlier < stage_end(started, 6, "months"):
        return 14
    return 28


def _own_reflection(
    person: StaffProfile, held_on: date, *, signed_off: bool
) -> dict[str, object]:
    """Half the signed-off sessions carry the supervisee's own reflection; half of
    those are chosen for the CPD record. Seeded apart from the main generator, so
    adding these leaves the rest of the demo as it was."""
    pick = random.Random(f"{person.pk}:{held_on.isoformat()}")
    if not signed_off or pick.random() < 0.5:
        return {}
    text, change = pick.choice(OWN_REFLECTIONS)
    return {
        "supervisee_reflection": text,
        "practice_change": change,
        "reflection_in_cpd": pick.random() < 0.5,
        "reflection_discussed_with_peer": pick.random() < 0.3,
    }


def _practitioners_reflections(practitioner: StaffProfile) -> None:
    """The demo practitioner reflected on their three latest signed-off sessions
    and chose two of the reflections for their CPD record (one discussed with a
    peer); the middle one they kept out."""
    mine = SessionAttendance.objects.filter(person=practitioner)
    mine.update(
        supervisee_reflection="",
        practice_change="",
        reflection_in_cpd=False,
        reflection_discussed_with_peer=False,
    )
    signed = mine.filter(
        acknowledged_at__isnull=False,
        session__state=SupervisionSession.State.FINALISED,
        session__format=SupervisionSession.Format.ONE_TO_ONE,
    ).order_by("-session__held_on")[:3]
    for number, attendance in enumerate(signed):
        text, change = OWN_REFLECTIONS[number]
        attendance.supervisee_reflection = text
        attendance.practice_change = change
        attendance.reflection_in_cpd = number != 1
        attendance.reflection_discussed_with_peer = number == 0
        attendance.save()


def _session(
    rng: random.Random,
    *,
    supervisor: StaffProfile,
    person: StaffProfile,
    held_on: date,
    acknowledged: bool,
    heavy: bool,
    open_action: bool,
    as_of: date,
    draft: bool = False,
    newly_qualified: bool = False,
    format: str = "one_to_one",
    unannounced: bool = False,
) -> SupervisionSession:
    foster = person.is_foster_carer
    text = FOSTER_TEXT if foster else STAFF_TEXT
    finalised_at = timezone.make_aware(
        timezone.datetime.combine(held_on, timezone.datetime.min.time())
    ) + timedelta(hours=15)
    session = SupervisionSession.objects.create(
        supervisor=supervisor,
        held_on=held_on,
        # Long enough to count under the person's policy (newly qualified: 90).
        duration_minutes=rng.choice([90, 90, 105] if newly_qualified else [60, 75, 90]),
        # Scheduled supervision is one-to-one; debriefs come on top (see below).
        format=format,
        state="draft" if draft else "finalised",
        finalised_at=None if draft else finalised_at,
        finalised_by=None if draft else supervisor.user,
        wellbeing_discussed=rng.random() < 0.85,
        unannounced=unannounced,
        next_session_on=held_on + timedelta(days=28),
        case_discussions=_text(rng, text["experience"]),
        decisions=_text(rng, text["decisions"]),
        experience=_text(rng, text["experience"]),
        feelings=_text(rng, text["feelings"]),
        analysis=_text(rng, text["analysis"]),
        learning=_text(rng, text["learning"]),
        plan=_text(rng, text["plan"]),
    )
    scores = (
        (rng.randint(7, 9), rng.randint(2, 5), rng.randint(3, 6), rng.randint(2, 4))
        if heavy
        else (
            rng.randint(2, 6),
            rng.randint(5, 9),
            rng.randint(6, 9),
            rng.randint(4, 8),
        )
    )
    SessionAttendance.objects.create(
        session=session,
        person=person,
        caseload=None if foster else rng.randint(9, 20),  # foster carers hold none
        wellbeing_notes=_text(rng, text["wellbeing"]),
        impact_score=scores[0],
        switching_off_score=scores[1],
        support_score=scores[2],
        workload_score=scores[3],
        support_offered="extra_session,employee_assistance" if heavy else "",
        support_prompt=check_in_prompts(
            impact=scores[0],
            switching_off=scores[1],
            support=scores[2],
            workload=scores[3],
        ),
        acknowledged_at=finalised_at + timedelta(days=2)
        if acknowledged and not draft
        else None,
        **_own_reflection(person, held_on, signed_off=acknowledged and not draft),
    )
    if open_action or rng.random() < 0.3:
        SessionAction.objects.create(
            session=session,
            owner=person,
            description=_text(rng, text["plan"]),
            due_on=held_on + timedelta(days=21),
            done_on=None if open_action else min(held_on + timedelta(days=14), as_of),
        )
    return session
