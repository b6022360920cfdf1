"""Supervision policies, sessions, check-ins, actions, sign-off, status and access log.

Content (the practice notes, the reflection, the wellbeing notes, check-in scores and
the supervisee's own words) is held in encrypted fields and reaches only the session's
supervisor and supervisees. Everything else here is metadata: dates, durations,
formats, who attended, the "wellbeing discussed" flag and the status rows.
No ``__str__`` here includes content, so nothing sensitive reaches logs or the admin.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When

from accounts.roles import Role, roles_of
from supervision.fields import EncryptedIntegerField, EncryptedTextField
from supervision.rules import (
    DEFAULT_DEBRIEF_WORKING_DAYS,
    FOSTER_CARER_MIN_MINUTES,
    ONE_TO_ONE,
    AgreementState,
    Status,
    agreement_state,
    check_in_prompts,
    counted_formats,
    session_counts,
)
from workforce.models import JobRole, Organisation, StaffProfile, Team
from workforce.scoping import own_profile

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


# --- Policies -----------------------------------------------------------------------
class SupervisionPolicy(models.Model):
    """How often people in a job role are supervised, and when that is escalated."""

    class StagesFollow(models.TextChoices):
        STARTED = "started", "Start in role"
        QUALIFIED = "qualified", "Date qualified (start in role if blank)"

    name = models.CharField(max_length=120, unique=True)
    job_role = models.OneToOneField(
        JobRole,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="supervision_policy",
        help_text="Leave blank for the default policy, which covers every frontline "
        "job role without a policy of its own.",
    )
    is_default = models.BooleanField(default=False)
    stages_follow = models.CharField(
        max_length=12,
        choices=StagesFollow.choices,
        default=StagesFollow.STARTED,
        help_text="The date each stage's length is counted from. The LGA standard "
        "(standard 5, 2020) counts a newly qualified worker's weekly then "
        "fortnightly stages from the first weeks of employment: the start in role.",
    )
    min_minutes = models.PositiveSmallIntegerField(
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(480)],
        help_text="A finalised session shorter than this does not reset the clock. "
        "Sources: 90 minutes for newly qualified and registered social workers (LGA, "
        "Standards for employers of social workers in England, standard 5, 2020); "
        "60 minutes for unregistered direct-work staff (Barnardo's practice; "
        "care-home audits). Part-time staff: pro rata by agreement.",
    )
    counts_group = models.BooleanField(
        default=False,
        help_text="Let a group session reset the clock. Off by default: the sources "
        "set one-to-one supervision as the standard. A debrief after an incident "
        "never counts; it comes on top of scheduled supervision.",
    )
    counts_peer = models.BooleanField(
        default=False,
        help_text="Let a peer session reset the clock. Off by default.",
    )
    consolidation_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="Wales: the first three years in practice (36 months) are Social "
        "Care Wales's Consolidation Programme. While it runs, counted from the start "
        "in role, the interval never exceeds the consolidation interval. Blank: not "
        "used.",
    )
    consolidation_interval_days = models.PositiveSmallIntegerField(
        default=28,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="The longest interval during the consolidation period (at least "
        "monthly: LGA standard 5, 2020).",
    )
    debrief_within_days = models.PositiveSmallIntegerField(
        default=DEFAULT_DEBRIEF_WORKING_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text="Working days after a critical incident by which a debrief is "
        "due (2: the platform's default in the supervision design notes, following "
        "children's services supervision standards). A debrief comes on top of "
        "scheduled supervision and never resets the clock.",
    )
    required_hours = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(500)],
        help_text="Hours of finalised supervision required in each period (blank: "
        "none beyond the interval). For example, a 90-minute session every month "
        "comes to 18 hours a year (LGA, Standards for employers of social workers "
        "in England, standard 5, 2020). The hours page compares each person with "
        "it, pro rata for the period chosen.",
    )
    required_hours_months = models.PositiveSmallIntegerField(
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text="The period the required hours cover, in months.",
    )
    due_soon_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MaxValueValidator(90)],
        help_text="Days before the due date when both people are told (7: the "
        "platform's default in the supervision design notes).",
    )
    first_escalation_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(180)],
        help_text="Days after the due date when the supervisor's manager is told "
        "(14: the platform's default in the supervision design notes).",
    )

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name_plural = "supervision policies"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="supervision_one_default_policy",
            ),
            models.CheckConstraint(
                condition=Q(is_default=True, job_role__isnull=True)
                | Q(is_default=False, job_role__isnull=False),
                name="supervision_policy_default_or_for_a_role",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def formats_counted(self) -> frozenset[str]:
        return counted_formats(
            counts_group=self.counts_group, counts_peer=self.counts_peer
        )

    def counts(self, *, format: str, duration_minutes: int) -> bool:
        """Say whether a finalised session resets the clock (see ``rules``)."""
        return session_counts(
            format=format,
            duration_minutes=duration_minutes,
            min_minutes=self.min_minutes,
            counts_group=self.counts_group,
            counts_peer=self.counts_peer,
        )

    def counted_q(self, prefix: str = "") -> Q:
        """The SQL twin of ``counts``: finalised sessions that reset the clock."""
        return Q(
            **{
                f"{prefix}state": "finalised",
                f"{prefix}duration_minutes__gte": self.min_minutes,
                f"{prefix}format__in": sorted(self.formats_counted),
            }
        )


def foster_carer_counted_q(prefix: str = "") -> Q:
    """The SQL twin of ``rules.foster_carer_visit_counts``: finalised one-to-one
    visits long enough to reset a foster carer's clock."""
    return Q(
        **{
            f"{prefix}state": "finalised",
            f"{prefix}duration_minutes__gte": FOSTER_CARER_MIN_MINUTES,
            f"{prefix}format": ONE_TO_ONE,
        }
    )


class PolicyStage(models.Model):
    """Supervise every ``interval_days`` until the stage ends (blank: from then on)."""

    class Unit(models.TextChoices):
        DAYS = "days", "days"
        WEEKS = "weeks", "weeks"
        MONTHS = "months", "months"

    policy = models.ForeignKey(
        SupervisionPolicy, on_delete=models.CASCADE, related_name="stages"
    )
    position = models.PositiveSmallIntegerField(default=1)
    interval_days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    ends_after = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="How long after the policy's start date this stage ends "
        "(counted from that date, not from the previous stage). Blank on the last.",
    )
    ends_after_unit = models.CharField(
        max_length=6, choices=Unit.choices, default=Unit.MONTHS
    )

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "position"], name="supervision_stage_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(interval_days__gte=1),
                name="supervision_stage_interval_gt_0",
            ),
        ]

    def __str__(self) -> str:
        return f"Every {self.interval_days} days"


# --- Status rows --------------------------------------------------------------------
class SupervisionStatusQuerySet(models.QuerySet["SupervisionStatus"]):
    def for_user(self, user: User | AnonymousUser) -> SupervisionStatusQuerySet:
        """Keep the status rows of people this user may see by name."""
        return self.filter(person__in=StaffProfile.objects.for_user(user))

    def active(self, *, as_of: date) -> SupervisionStatusQuerySet:
        """Keep rows of people still in post on ``as_of``."""
        return self.filter(
            Q(person__left_on__isnull=True) | Q(person__left_on__gte=as_of)
        )

    def with_status(self, *, as_of: date) -> SupervisionStatusQuerySet:
        """Annotate ``status`` in SQL, agreeing with ``rules.status_on``."""
        return self.annotate(
            status=Case(
                When(
                    Q(due_on__isnull=True) | Q(due_soon_from__isnull=True),
                    then=Value(Status.NOT_REQUIRED.value),
                ),
                When(
                    escalate_twice_on__lte=as_of,
                    then=Value(Status.ESCALATED_TWICE.value),
                ),
                When(escalate_on__lte=as_of, then=Value(Status.ESCALATED.value)),
                When(due_on__lt=as_of, then=Value(Status.OVERDUE.value)),
                When(due_soon_from__lte=as_of, then=Value(Status.DUE_SOON.value)),
                default=Value(Status.IN_DATE.value),
                output_field=models.CharField(),
            )
        )

    def overdue(self, *, as_of: date) -> SupervisionStatusQuerySet:
        """Keep people past their due date (overdue, escalated or escalated twice)."""
        return self.filter(due_on__lt=as_of)

    def escalated(self, *, as_of: date) -> SupervisionStatusQuerySet:
        """Keep people escalated at least once (escalated or escalated twice)."""
        return self.filter(Q(escalate_on__lte=as_of) | Q(escalate_twice_on__lte=as_of))

    def escalated_twice(self, *, as_of: date) -> SupervisionStatusQuerySet:
        """Keep people at the second escalation (counted in commissioner figures)."""
        return self.filter(escalate_twice_on__lte=as_of)


class SupervisionStatus(models.Model):
    """One row per person: the dates their supervision status is read from.

    Updated in the same transaction as a finalised or cancelled session or a change
    to the person's role; ``services.sync_supervision_status`` repairs drift. The
    status itself is ``status_on(as_of)``, so it is never stale when a date passes.
    """

    person = models.OneToOneField(
        StaffProfile, on_delete=models.CASCADE, related_name="supervision_status"
    )
    policy = models.ForeignKey(
        SupervisionPolicy,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="status_rows",
    )
    last_session_on = models.DateField(null=True, blank=True)
    anchor_on = models.DateField(null=True, blank=True)
    interval_days = models.PositiveSmallIntegerField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)
    due_soon_from = models.DateField(null=True, blank=True)
    escalate_on = models.DateField(null=True, blank=True)
    escalate_twice_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SupervisionStatusQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "supervision statuses"
        indexes = [
            models.Index(fields=["due_on"]),
            models.Index(fields=["escalate_twice_on"]),
        ]

    def __str__(self) -> str:
        return f"Supervision status of {self.person_id}"

    DATE_FIELDS = (
        "policy_id",
        "last_session_on",
        "anchor_on",
        "interval_days",
        "due_on",
        "due_soon_from",
        "escalate_on",
        "escalate_twice_on",
    )

    def status_on(self, as_of: date) -> Status:
        """Return this person's status on ``as_of`` (the pure rule)."""
        from supervision.rules import status_on

        return status_on(
            due_on=self.due_on,
            due_soon_from=self.due_soon_from,
            escalate_on=self.escalate_on,
            escalate_twice_on=self.escalate_twice_on,
            as_of=as_of,
        )


# --- Sessions -----------------------------------------------------------------------
CONTENT_FIELDS = (
    "case_discussions",
    "decisions",
    "experience",
    "feelings",
    "analysis",
    "learning",
    "plan",
    "wellbeing_notes",
)


class SessionQuerySet(models.QuerySet["SupervisionSession"]):
    def for_user(self, user: User | AnonymousUser) -> SessionQuerySet:
        """Keep sessions whose content this user may read: supervisor or supervisee."""
        profile = own_profile(user)
        if profile is None:
            return self.none()
        attended = SessionAttendance.objects.filter(
            session=OuterRef("pk"), person=profile
        )
        return self.filter(Q(supervisor=profile) | Q(Exists(attended)))

    def writable_by(self, user: User | AnonymousUser) -> SessionQuerySet:
        """Keep sessions this user may change: ones they ran, for someone they still
        supervise.

        After a supervisee moves to another supervisor, the former supervisor keeps
        read-only access to the sessions they ran (``for_user``), for
        accountability, and can no longer write to them. The new supervisor does
        not read those sessions; they see the open actions carried forward
        (``SessionAction.objects.for_user``).
        """
        profile = own_profile(user)
        if profile is None:
            return self.none()
        still_theirs = SessionAttendance.objects.filter(
            session=OuterRef("pk"), person__supervisor=profile
        )
        return self.filter(Q(supervisor=profile) & Q(Exists(still_theirs)))

    def metadata_for_user(self, user: User | AnonymousUser) -> SessionQuerySet:
        """Keep sessions whose metadata this user may see (never their content).

        The supervisor and supervisees, a provider manager for sessions held in their
        own organisation, and a platform admin. Commissioners see no sessions.
        """
        roles = roles_of(user)
        if not user.is_authenticated:
            return self.none()
        if Role.PLATFORM_ADMIN in roles:
            return self.without_content()
        profile = own_profile(user)
        if profile is None:
            return self.none()
        attended = SessionAttendance.objects.filter(
            session=OuterRef("pk"), person=profile
        )
        visible = Q(supervisor=profile) | Q(Exists(attended))
        if Role.PROVIDER_MANAGER in roles:
            visible |= Q(supervisor__organisation_id=profile.organisation_id)
        return self.filter(visible).without_content()

    def without_content(self) -> SessionQuerySet:
        """Leave the encrypted content unloaded, so listing never decrypts it."""
        return self.defer(*CONTENT_FIELDS)

    def counted(self) -> SessionQuerySet:
        """Keep finalised sessions: the only ones that count towards the ladder."""
        return self.filter(state=SupervisionSession.State.FINALISED)


class SupervisionSession(models.Model):
    """A supervision session: metadata in the clear, the three parts encrypted."""

    class Format(models.TextChoices):
        ONE_TO_ONE = "one_to_one", "One-to-one"
        GROUP = "group", "Group"
        PEER = "peer", "Peer"
        DEBRIEF = "debrief", "Debrief after an incident"

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        FINALISED = "finalised", "Finalised"
        CANCELLED = "cancelled", "Cancelled"

    supervisor = models.ForeignKey(
        StaffProfile, on_delete=models.PROTECT, related_name="supervised_sessions"
    )
    supervisees = models.ManyToManyField(
        StaffProfile, through="SessionAttendance", related_name="supervision_sessions"
    )
    held_on = models.DateField()
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(480)]
    )
    format = models.CharField(
        max_length=12, choices=Format.choices, default=Format.ONE_TO_ONE
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    cancelled_reason = EncryptedTextField()  # may say why: sickness, a bereavement
    next_session_on = models.DateField(null=True, blank=True)
    wellbeing_discussed = models.BooleanField(default=False)
    # A visit to a foster carer they were not told of in advance: the fostering
    # standards ask for at least one a year (``rules.unannounced_visit_due_from``).
    unannounced = models.BooleanField(default=False)

    # Practice and workload (cases by reference only, never a child's name).
    case_discussions = EncryptedTextField()
    decisions = EncryptedTextField()
    # Reflection.
    experience = EncryptedTextField()
    feelings = EncryptedTextField()
    analysis = EncryptedTextField()
    learning = EncryptedTextField()
    plan = EncryptedTextField()
    # Wellbeing notes belong to each supervisee (``SessionAttendance``). This holds
    # only notes written for a whole group before that, read by the supervisor alone.
    wellbeing_notes = EncryptedTextField()

    version = models.PositiveIntegerField(default=1)
    finalised_at = models.DateTimeField(null=True, blank=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    content_purged_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1) & Q(duration_minutes__lte=480),
                name="supervision_duration_1_to_480",
            ),
            models.CheckConstraint(
                condition=~Q(state="cancelled") | ~Q(cancelled_reason=""),
                name="supervision_cancelled_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["supervisor", "held_on"])]

    def __str__(self) -> str:
        return f"Supervision session {self.pk} on {self.held_on:%d/%m/%Y}"

    @property
    def is_draft(self) -> bool:
        return self.state == self.State.DRAFT

    @property
    def is_finalised(self) -> bool:
        return self.state == self.State.FINALISED

    @property
    def is_cancelled(self) -> bool:
        return self.state == self.State.CANCELLED


class SupportOffered(models.TextChoices):
    EXTRA_SESSION = "extra_session", "An extra session"
    EMPLOYEE_ASSISTANCE = "employee_assistance", "Employee assistance programme"
    CASELOAD_RELIEF = "caseload_relief", "Caseload relief"
    TIME_OUT = "time_out", "Protected time away from casework"
    OCCUPATIONAL_HEALTH = "occupational_health", "Referral to occupational health"
    COUNSELLING = "counselling", "Counselling or clinical consultation"


def support_labels(codes: str) -> list[str]:
    """Return the labels of comma-separated ``SupportOffered`` codes (known ones)."""
    return [
        SupportOffered(code).label
        for code in codes.split(",")
        if code and code in SupportOffered
    ]


class CheckInScores(models.Model):
    """The four-question check-in's answers: a conversation aid, not a clinical
    measure. Shared by the supervisor's record at a session and the supervisee's
    own check-in before one; each is encrypted."""

    impact_score = EncryptedIntegerField()
    switching_off_score = EncryptedIntegerField()
    support_score = EncryptedIntegerField()
    workload_score = EncryptedIntegerField()
    # Whether the answers crossed a threshold (``rules.check_in_prompts``): shown to
    # the supervisor and, for their own check-in, its author.
    support_prompt = models.BooleanField(default=False)

    SCORE_CONTENT_FIELDS = (
        "impact_score",
        "switching_off_score",
        "support_score",
        "workload_score",
    )

    class Meta:
        abstract = True

    def set_scores(
        self,
        *,
        impact: int | None,
        switching_off: int | None,
        support: int | None,
        workload: int | None,
    ) -> None:
        """Set the four answers (0-10 or None) and whether they prompt support."""
        scores = (impact, switching_off, support, workload)
        if any(score is not None and not 0 <= score <= 10 for score in scores):
            raise ValueError("Each check-in answer must be between 0 and 10.")
        self.impact_score = impact
        self.switching_off_score = switching_off
        self.support_score = support
        self.workload_score = workload
        self.support_prompt = check_in_prompts(
            impact=impact,
            switching_off=switching_off,
            support=support,
            workload=workload,
        )


class SessionAttendanceQuerySet(models.QuerySet["SessionAttendance"]):
    def content_for_user(self, user: User | AnonymousUser) -> SessionAttendanceQuerySet:
        """Keep the attendances whose check-in, wellbeing notes and sign-off this
        user may read: their own, and every one at a session they ran.

        In a group session each supervisee reads only their own; a colleague in the
        same group never reads another's.
        """
        profile = own_profile(user)
        if profile is None:
            return self.none()
        return self.filter(Q(person=profile) | Q(session__supervisor=profile))


class SessionAttendance(CheckInScores):
    """A supervisee at a session: their check-in, wellbeing notes, caseload and
    sign-off, read by them and the session's supervisor only."""

    session = models.ForeignKey(
        SupervisionSession, on_delete=models.CASCADE, related_name="attendances"
    )
    person = models.ForeignKey(
        StaffProfile, on_delete=models.CASCADE, related_name="session_attendances"
    )
    caseload = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(500)]
    )
    support_offered = EncryptedTextField()  # comma-separated SupportOffered codes
    # What is staying with this person and what support they need: theirs alone.
    wellbeing_notes = EncryptedTextField()

    acknowledged_at = models.DateTimeField(null=True, blank=True)
    disagreed_at = models.DateTimeField(null=True, blank=True)
    supervisee_reflection = EncryptedTextField()
    # The supervisee's own choices for their CPD record (Social Work England asks
    # what was learned and how it changed practice, and whether it was discussed).
    reflection_in_cpd = models.BooleanField(default=False)
    reflection_discussed_with_peer = models.BooleanField(default=False)
    practice_change = EncryptedTextField()
    disagreement = EncryptedTextField()

    objects = SessionAttendanceQuerySet.as_manager()

    class Meta:
        ordering = ["session", "person"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "person"], name="supervision_attend_once"
            )
        ]

    def __str__(self) -> str:
        return f"Attendance {self.pk}"

    CONTENT_FIELDS = (
        *CheckInScores.SCORE_CONTENT_FIELDS,
        "support_offered",
        "wellbeing_notes",
        "supervisee_reflection",
        "practice_change",
        "disagreement",
    )

    @property
    def support_offered_labels(self) -> list[str]:
        return support_labels(self.support_offered)


# The most a supervisee may write about what would help, before a session.
PRE_SESSION_TEXT_LIMIT = 2000


class PreSessionCheckInQuerySet(models.QuerySet["PreSessionCheckIn"]):
    def for_user(self, user: User | AnonymousUser) -> PreSessionCheckInQuerySet:
        """Keep the check-ins this user may read.

        The author always; the supervisor of the session it was shared with, from
        then on. Nobody else: not a manager, a commissioner or a platform admin, and
        not a supervisor before the session (or a former supervisor afterwards).
        """
        profile = own_profile(user)
        if profile is None:
            return self.none()
        return self.filter(Q(person=profile) | Q(session__supervisor=profile))

    def open(self) -> PreSessionCheckInQuerySet:
        """Keep check-ins written but not yet shared with a session."""
        return self.filter(session__isnull=True)


class PreSessionCheckIn(CheckInScores):
    """The supervisee's own check-in, written before a session.

    Private to its author until their supervisor records the session it is for;
    from then on shared with that supervisor only. The answers and the free text are
    encrypted, never aggregated, and never shown to managers or commissioners.
    """

    person = models.ForeignKey(
        StaffProfile, on_delete=models.CASCADE, related_name="pre_session_check_ins"
    )
    written_on = models.DateField()
    what_would_help = EncryptedTextField()
    support_wanted = EncryptedTextField()  # comma-separated SupportOffered codes
    session = models.ForeignKey(
        SupervisionSession,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pre_session_check_ins",
    )
    shared_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PreSessionCheckInQuerySet.as_manager()

    CONTENT_FIELDS = (
        *CheckInScores.SCORE_CONTENT_FIELDS,
        "what_would_help",
        "support_wanted",
    )

    class Meta:
        ordering = ["-written_on", "-pk"]
        constraints = [
            # One check-in waits for the next session; writing again changes it.
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(session__isnull=True),
                name="supervision_one_open_pre_session_check_in",
            ),
            models.UniqueConstraint(
                fields=["session", "person"],
                name="supervision_one_pre_session_check_in_per_session",
            ),
        ]

    def __str__(self) -> str:
        return f"Pre-session check-in {self.pk}"

    @property
    def is_shared(self) -> bool:
        return self.session_id is not None

    @property
    def support_wanted_labels(self) -> list[str]:
        return support_labels(self.support_wanted)


SCORE_FIELDS = ("impact", "switching_off", "support", "workload")


class CheckInScoreRecord(models.Model):
    """One counted check-in, pseudonymised, kept only so scores can be aggregated.

    Why it is not identifying on its own: it holds no foreign key to a person, session
    or attendance, no name, date of a session or free text; only the organisation and
    team (as they were when the check-in was recorded), the calendar month, the four
    0-10 answers, the "support prompted" flag, and two keyed pseudonyms:
    ``respondent_key`` (HMAC-SHA256 of the person's id, so distinct people can be
    counted) and ``source_key`` (HMAC-SHA256 of the check-in's id, so the record is
    upserted or deleted exactly once). The HMAC key never leaves the server (see
    ``supervision.pseudonyms``), so a key cannot be reversed or matched to a guessed
    id. Reports only ever read aggregates of groups of 5 or more people from it.

    Written in the same transaction as the change that makes a check-in count or stop
    counting (``services.store_check_in_scores``): a session finalised, a finalised
    check-in or session edited, a session cancelled. It is kept for statistics: the
    retention purge of supervision content does not touch it, and a person who moves
    organisation or team leaves their earlier check-ins where they were given.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    month = models.DateField(help_text="The first day of the session's month.")
    impact = models.PositiveSmallIntegerField(null=True)
    switching_off = models.PositiveSmallIntegerField(null=True)
    support = models.PositiveSmallIntegerField(null=True)
    workload = models.PositiveSmallIntegerField(null=True)
    support_prompt = models.BooleanField(default=False)
    respondent_key = models.CharField(max_length=64)
    source_key = models.CharField(max_length=64, unique=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(impact__lte=10)
                & Q(switching_off__lte=10)
                & Q(support__lte=10)
                & Q(workload__lte=10),
                name="supervision_score_record_0_to_10",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "month"])]

    def __str__(self) -> str:
        return f"Check-in score record {self.pk}"


class SessionActionQuerySet(models.QuerySet["SessionAction"]):
    def open(self) -> SessionActionQuerySet:
        """Keep actions not yet done: they carry forward to the next session."""
        return self.filter(done_on__isnull=True)

    def for_person(self, person: StaffProfile) -> SessionActionQuerySet:
        """Keep actions from sessions the person attended as a supervisee."""
        return self.filter(session__attendances__person=person).distinct()

    def for_user(self, user: User | AnonymousUser) -> SessionActionQuerySet:
        """Keep the actions this user may read: their own, those from sessions they
        ran, and the open actions of the people they supervise now (carried forward
        to a new supervisor). Never a colleague's action from a shared group."""
        profile = own_profile(user)
        if profile is None:
            return self.none()
        return self.filter(
            Q(owner=profile)
            | Q(session__supervisor=profile)
            | Q(owner__supervisor=profile, done_on__isnull=True)
        )


class SessionAction(models.Model):
    """Something someone agreed to do, carried forward until it is done."""

    session = models.ForeignKey(
        SupervisionSession, on_delete=models.CASCADE, related_name="actions"
    )
    owner = models.ForeignKey(
        StaffProfile, on_delete=models.PROTECT, related_name="supervision_actions"
    )
    description = EncryptedTextField()
    due_on = models.DateField()
    done_on = models.DateField(null=True, blank=True)

    objects = SessionActionQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return f"Action {self.pk}"


class SessionVersion(models.Model):
    """The content as it was before an edit made after finalising."""

    session = models.ForeignKey(
        SupervisionSession, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    saved_at = models.DateTimeField(auto_now_add=True)
    content = EncryptedTextField()  # JSON of the content fields

    class Meta:
        ordering = ["session", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "number"], name="supervision_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Version {self.number} of session {self.session_id}"


class AccessEventQuerySet(models.QuerySet["AccessEvent"]):
    def grouped_reads(self, *, person: StaffProfile) -> models.QuerySet:
        """Summarise reads of ``person``'s record by others, latest first.

        Repeated reads by one reader of one session, for one purpose, are one row
        with a count and the time of the latest; the person's own reads are left
        out (they are not logged, and older rows from before that are hidden).
        """
        return (
            self.filter(person=person)
            .exclude(user_id=person.user_id)
            .values(
                "user_id",
                "user__first_name",
                "user__last_name",
                "user__username",
                "action",
                "session_id",
                "session__held_on",
            )
            .annotate(latest=models.Max("at"), times=models.Count("pk"))
            .order_by("-latest")
        )


class AccessEvent(models.Model):
    """A read of supervision content: who, whose record, which session, when, what."""

    class Action(models.TextChoices):
        VIEWED_SESSION = "viewed_session", "Read a session record"
        EDITED_SESSION = "edited_session", "Opened a session record to edit"
        VIEWED_CHECK_INS = "viewed_check_ins", "Read the check-in trend"
        VIEWED_VERSIONS = "viewed_versions", "Read earlier versions"
        OPENED_CHECK_IN = "opened_check_in", "Opened a check-in to record it"
        READ_SEALED_NOTE = "read_sealed_note", "Read your sealed note"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="supervision_access_events",
    )
    person = models.ForeignKey(
        StaffProfile, on_delete=models.CASCADE, related_name="supervision_access_log"
    )
    session = models.ForeignKey(
        SupervisionSession,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="access_events",
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    at = models.DateTimeField(auto_now_add=True)

    objects = AccessEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["person", "at"])]

    def __str__(self) -> str:
        return f"Access {self.pk}"


class SupervisionAgreement(models.Model):
    """What a supervisor and supervisee agree supervision will be, reviewed yearly.

    The supervisor writes it and so agrees it; the supervisee acknowledges it. A new
    agreement (a review, or a new supervisor) replaces the current one, which is kept
    with the day it was replaced. Only the two people read its text; others see only
    whether one is in place.
    """

    supervisee = models.ForeignKey(
        StaffProfile, on_delete=models.CASCADE, related_name="supervision_agreements"
    )
    supervisor = models.ForeignKey(
        StaffProfile, on_delete=models.PROTECT, related_name="agreements_as_supervisor"
    )
    frequency = models.CharField(max_length=200)
    place = models.CharField(max_length=200)
    confidentiality = models.TextField(max_length=2000)
    missed_sessions = models.TextField(max_length=2000)
    agreed_on = models.DateField()
    review_due_on = models.DateField()
    supervisee_acknowledged_at = models.DateTimeField(null=True, blank=True)
    replaced_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-agreed_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["supervisee"],
                condition=Q(replaced_on__isnull=True),
                name="supervision_one_current_agreement",
            ),
            models.CheckConstraint(
                condition=Q(review_due_on__gt=F("agreed_on")),
                name="supervision_agreement_review_after_agreed",
            ),
        ]

    def __str__(self) -> str:
        return f"Supervision agreement {self.pk}"

    def state_on(self, as_of: date) -> AgreementState:
        return agreement_state(
            agreed_on=self.agreed_on,
            supervisee_acknowledged=self.supervisee_acknowledged_at is not None,
            made_with_current_supervisor=(
                self.supervisor_id == self.supervisee.supervisor_id
            ),
            as_of=as_of,
        )


class CriticalIncident(models.Model):
    """A critical incident in a worker's practice, and the debrief it calls for.

    Recorded by the worker's supervisor or a manager, by case reference only (never
    a child's name). A debrief (a finalised session in the debrief format that the
    worker attended, held on or after the incident) is due by ``debrief_due_on``;
    it comes on top of scheduled supervision and never resets the clock.
    """

    class Kind(models.TextChoices):
        DISCLOSURE = "disclosure", "A disclosure of abuse"
        MISSING = "missing", "A young person missing"
        ASSAULT = "assault", "An assault or threat to the worker"
        SERIOUS_HARM = "serious_harm", "Serious harm to a young person"
        COURT = "court", "Giving evidence in court"
        OTHER = "other", "Another distressing event"

    person = models.ForeignKey(
        StaffProfile, on_delete=models.CASCADE, related_name="critical_incidents"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    case_reference = models.CharField(max_length=20)
    occurred_on = models.DateField()
    debrief_due_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(debrief_due_on__gt=F("occurred_on")),
                name="supervision_incident_debrief_after_incident",
            ),
        ]
        indexes = [models.Index(fields=["person", "occurred_on"])]

    def __str__(self) -> str:
        return f"Critical incident {self.pk}"


class SessionBookingQuerySet(models.QuerySet["SessionBooking"]):
    def for_user(self, user: User | AnonymousUser) -> SessionBookingQuerySet:
        """Keep the bookings this user may see: the two people in them."""
        profile = own_profile(user)
        if profile is None:
            return self.none()
        return self.filter(Q(supervisor=profile) | Q(supervisee=profile))

    def writable_by(self, user: User | AnonymousUser) -> SessionBookingQuerySet:
        """Keep the bookings this user may change: ones they made as supervisor,
        for someone they still supervise."""
        profile = own_profile(user)
        if profile is None:
            return self.none()
        return self.filter(supervisor=profile, supervisee__supervisor=profile)

    def live(self) -> SessionBookingQuerySet:
        """Keep bookings not cancelled."""
        return self.filter(cancelled_at__isnull=True)

    def open(self) -> SessionBookingQuerySet:
        """Keep each person's next session: not cancelled and not closed (at most
        one per supervisee, a constraint holds)."""
        return self.filter(cancelled_at__isnull=True, closed_at__isnull=True)

    def from_day(self, day: date) -> SessionBookingQuerySet:
        """Keep bookings starting on ``day`` or later (in the site's time zone)."""
        return self.filter(starts_at__date__gte=day)


class SessionBooking(models.Model):
    """The next session booked between a supervisor and a supervisee.

    ``uid`` is the calendar invitation's UID and never changes; each change sent
    raises ``sequence``, so calendars replace the old invitation. A supervisee has
    at most one open booking (neither cancelled nor closed): booking the next
    session closes one whose time has passed, and a second booking made at the same
    moment is refused by the database.
    """

    supervisor = models.ForeignKey(
        StaffProfile, on_delete=models.CASCADE, related_name="bookings_as_supervisor"
    )
    supervisee = models.ForeignKey(
        StaffProfile, on_delete=models.CASCADE, related_name="supervision_bookings"
    )
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(480)]
    )
    place = models.CharField(max_length=200, blank=True)
    online_link = models.URLField(max_length=500, blank=True)
    uid = models.CharField(max_length=100, unique=True)
    sequence = models.PositiveIntegerField(default=0)
    booked_from = models.ForeignKey(
        SupervisionSession,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="next_bookings",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # When it stopped being the next session without being cancelled: its time had
    # passed and the session after it was booked.
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SessionBookingQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1) & Q(duration_minutes__lte=480),
                name="supervision_booking_duration_1_to_480",
            ),
            models.CheckConstraint(
                condition=~Q(place="") | ~Q(online_link=""),
                name="supervision_booking_has_place_or_link",
            ),
            models.CheckConstraint(
                condition=~Q(supervisor=F("supervisee")),
                name="supervision_booking_not_with_oneself",
            ),
            models.UniqueConstraint(
                fields=["supervisee"],
                condition=Q(cancelled_at__isnull=True, closed_at__isnull=True),
                name="supervision_one_open_booking",
            ),
        ]
        indexes = [models.Index(fields=["supervisee", "starts_at"])]

    def __str__(self) -> str:
        return f"Booking {self.pk}"

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class SealedNoteQuerySet(models.QuerySet["SealedNote"]):
    def for_user(self, user: User | AnonymousUser) -> SealedNoteQuerySet:
        """Keep the sealed notes this user may read: the two people they are between.

        Nobody else, whatever their role: not a provider manager, a commissioner, a
        platform admin, the API, or anyone in a group session with the supervisee.
        A former supervisor keeps read-only access to the note they kept, as with the
        sessions they ran (``writable_by``).
        """
        profile = own_profile(user)
        if profile is None:
            return self.none()
        return self.filter(Q(supervisor=profile) | Q(supervisee=profile))

    def writable_by(self, user: User | AnonymousUser) -> SealedNoteQuerySet:
        """Keep the sealed notes this user may change: theirs as the supervisor of a
        person they still supervise."""
        profile = own_profile(user)
        if profile is None:
            return self.none()
        return self.filter(supervisor=profile, supervisee__supervisor=profile)


class SealedNote(models.Model):
    """A confidential record between a supervisor and one supervisee, kept apart from
    the supervision record (SCIE guide 50: personal matters raised in supervision go
    in a separate confidential record, with only the fact of the discussion noted).

    One per supervisor and supervisee. The supervisor writes it; the supervisee
    reads it. The text is encrypted; every read and write is audited without it.
    """

    supervisor = models.ForeignKey(
        StaffProfile, on_delete=models.PROTECT, related_name="sealed_notes_kept"
    )
    supervisee = models.ForeignKey(
        StaffProfile, on_delete=models.CASCADE, related_name="sealed_notes"
    )
    text = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SealedNoteQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["supervisor", "supervisee"],
                name="supervision_one_sealed_note_per_pair",
            ),
            models.CheckConstraint(
                condition=~Q(supervisor=F("supervisee")),
                name="supervision_sealed_note_not_with_oneself",
            ),
        ]

    def __str__(self) -> str:
        return f"Sealed note {self.pk}"
