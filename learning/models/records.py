"""Attempts, completions, requirements, exceptions and each person's status rows."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, Q, Value, When

from learning.evidence import evidence_path, validate_evidence
from learning.models.pages import ModulePage
from learning.rules import ExceptionKind, Status, StatusDates
from supervision.fields import EncryptedTextField
from workforce.models import JobRole, Organisation, StaffProfile

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


class Requirement(models.Model):
    """Who must complete a module, when first, and how often after that."""

    module = models.ForeignKey(
        ModulePage, on_delete=models.PROTECT, related_name="requirements"
    )
    job_roles = models.ManyToManyField(JobRole, related_name="training_requirements")
    organisations = models.ManyToManyField(
        Organisation,
        blank=True,
        related_name="training_requirements",
        help_text="Leave empty to apply in every organisation.",
    )
    effective_from = models.DateField(
        help_text="Nobody is due before this date plus the initial due days."
    )
    initial_due_days = models.PositiveIntegerField(
        default=90,
        help_text="Days after the later of starting in role and the effective date.",
    )
    renewal_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Renew every this many months. Leave blank if it never expires.",
    )
    due_soon_days = models.PositiveSmallIntegerField(default=30)
    minimum_version = models.PositiveIntegerField(
        default=1,
        help_text="Only completions of this content version or later count.",
    )
    version_required_from = models.DateField(
        null=True,
        blank=True,
        help_text="Set when a material change raises the minimum version: people "
        "whose completions are of an earlier version are due by this date.",
    )

    class Meta:
        ordering = ["module__title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(renewal_months__isnull=True) | Q(renewal_months__gte=1),
                name="requirement_renewal_at_least_a_month",
            )
        ]

    def __str__(self) -> str:
        every = f"every {self.renewal_months} months" if self.renewal_months else "once"
        return f"{self.module.title} ({every})"


class Attempt(models.Model):
    """One submitted knowledge check, kept whatever the score."""

    person = models.ForeignKey(
        StaffProfile, on_delete=models.CASCADE, related_name="training_attempts"
    )
    module = models.ForeignKey(
        ModulePage, on_delete=models.PROTECT, related_name="attempts"
    )
    # Issued with the form: a double-click or a resend carries the same token, and
    # the unique constraint makes the second insert fail instead of counting twice.
    token = models.UUIDField(unique=True)
    submitted_at = models.DateTimeField(auto_now_add=True)
    submitted_on = models.DateField()
    answers = models.JSONField(help_text="Question id to the option keys chosen.")
    # What the learner saw: each question id with its option keys in the order
    # shown, so marking and review follow this attempt exactly.
    paper = models.JSONField(default=list)
    missed_question_ids = models.JSONField(default=list)
    score_percent = models.PositiveSmallIntegerField()
    passed = models.BooleanField()
    content_version = models.PositiveIntegerField()
    revision = models.ForeignKey(
        "wagtailcore.Revision", on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["person", "module"])]

    def __str__(self) -> str:
        return f"{self.person}: {self.module.title}, {self.score_percent}%"


class ExternalTraining(models.Model):
    """Training done elsewhere; it counts as a completion once a manager approves."""

    person = models.ForeignKey(
        StaffProfile, on_delete=models.CASCADE, related_name="external_training"
    )
    module = models.ForeignKey(
        ModulePage, on_delete=models.PROTECT, related_name="external_training"
    )
    title = models.CharField(max_length=200, help_text="The course's own name.")
    provider = models.CharField(max_length=200, help_text="Who delivered it.")
    completed_on = models.DateField()
    evidence = models.FileField(
        upload_to=evidence_path, blank=True, validators=[validate_evidence]
    )
    evidence_reference = models.CharField(
        max_length=200,
        blank=True,
        help_text="A certificate number or other reference.",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-completed_on"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(evidence="") | ~Q(evidence_reference=""),
                name="external_training_has_evidence",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.title} ({self.completed_on})"


class CompletionQuerySet(models.QuerySet["Completion"]):
    def for_user(self, user: User | AnonymousUser) -> CompletionQuerySet:
        """Keep completions of people this user may see by name."""
        return self.filter(person__in=StaffProfile.objects.for_user(user))


class Completion(models.Model):
    """A passed knowledge check or approved external training: one cycle's evidence.

    Never overwritten: each cycle adds a row, so the history stays. At most one row
    per person, module and day (a database constraint).
    """

    person = models.ForeignKey(
        StaffProfile, on_delete=models.CASCADE, related_name="training_completions"
    )
    module = models.ForeignKey(
        ModulePage, on_delete=models.PROTECT, related_name="completions"
    )
    completed_on = models.DateField()
    score_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    content_version = models.PositiveIntegerField()
    revision = models.ForeignKey(
        "wagtailcore.Revision", on_delete=models.SET_NULL, null=True, blank=True
    )
    attempt = models.OneToOneField(
        Attempt, on_delete=models.PROTECT, null=True, blank=True
    )
    external = models.OneToOneField(
        ExternalTraining, on_delete=models.PROTECT, null=True, blank=True
    )
    verification_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Revoked: found not to stand (a check passed by someone else, training that
    # was never done). The row stays as history, but it no longer counts and its
    # certificate's public page says it is revoked.
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revocation_reason = EncryptedTextField()  # may name a misconduct finding

    objects = CompletionQuerySet.as_manager()

    class Meta:
        ordering = ["-completed_on", "-pk"]
        indexes = [models.Index(fields=["person", "module", "-completed_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(attempt__isnull=False) ^ Q(external__isnull=False),
                name="completion_from_attempt_or_external",
            ),
            # A second pass on the same day is an attempt, not a new cycle; once
            # the day's completion is revoked, a new pass may stand in its place.
            models.UniqueConstraint(
                fields=["person", "module", "completed_on"],
                condition=Q(revoked_at__isnull=True),
                name="one_completion_per_person_module_day",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_by__isnull=True)
                | Q(revoked_at__isnull=False, revoked_by__isnull=False),
                name="completion_revoked_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.module.title} ({self.completed_on})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class SectionProgress(models.Model):
    """How far a learner has got through a module, so they can resume."""

    person = models.ForeignKey(
        StaffProfile, on_delete=models.CASCADE, related_name="section_progress"
    )
    module = models.ForeignKey(
        ModulePage, on_delete=models.CASCADE, related_name="progress"
    )
    sections_done = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "module"], name="progress_one_per_person_module"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.sections_done} sections of {self.module.title}"


class SectionVisit(models.Model):
    """A learner opened a section of a module; retakes after a fail look for these."""

    person = models.ForeignKey(
        StaffProfile, on_delete=models.CASCADE, related_name="section_visits"
    )
    module = models.ForeignKey(
        ModulePage, on_delete=models.CASCADE, related_name="section_visits"
    )
    section = models.PositiveSmallIntegerField()
    visited_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "module", "section"],
                name="section_visit_one_per_section",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person}: section {self.section} of {self.module.title}"


class ExceptionReason(models.TextChoices):
    PARENTAL_LEAVE = "parental_leave", "Parental leave"
    SICKNESS = "sickness", "Sickness absence"
    NO_COURSE_PLACE = "no_course_place", "No course place available"
    WORKLOAD = "workload", "Exceptional workload agreed with manager"
    EQUIVALENT_TRAINING = "equivalent", "Equivalent training held elsewhere"
    ROLE_ENDING = "role_ending", "Leaving or changing role soon"
    OTHER = "other", "Other (see note)"


class TrainingException(models.Model):
    """An extension, exemption or long-term absence a manager recorded, and why."""

    person = models.ForeignKey(
        StaffProfile, on_delete=models.CASCADE, related_name="training_exceptions"
    )
    requirement = models.ForeignKey(
        Requirement, on_delete=models.CASCADE, related_name="exceptions"
    )
    kind = models.CharField(max_length=20, choices=ExceptionKind.choices)
    reason = models.CharField(max_length=20, choices=ExceptionReason.choices)
    # Encrypted at rest: a note often says more about a sickness or a family matter.
    note = EncryptedTextField()
    until = models.DateField(
        null=True,
        blank=True,
        help_text="Extension: the new deadline. Otherwise the day it ends, if known.",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    # Closing keeps the row: ended means it stopped counting from that day (the
    # person came back, the extension is no longer needed); withdrawn means it was
    # recorded in error and never counts.
    ended_on = models.DateField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closing_note = EncryptedTextField()  # why it ended: may say as much as the note

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=ExceptionKind.EXTENSION) | Q(until__isnull=False),
                name="extension_has_a_date",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(withdrawn_at__isnull=True),
                name="exception_ended_or_withdrawn_not_both",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.person}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    def counts_until(self) -> date | None:
        """The day this stops applying: ``until``, brought forward by ending it."""
        if self.ended_on is None:
            return self.until
        return self.ended_on if self.until is None else min(self.until, self.ended_on)

    def is_open(self, as_of: date) -> bool:
        """Say whether it still applies on ``as_of`` (neither withdrawn nor over)."""
        end = self.counts_until()
        return not self.is_withdrawn and (end is None or end > as_of)


class TrainingStatusQuerySet(models.QuerySet["TrainingStatus"]):
    def for_user(self, user: User | AnonymousUser) -> TrainingStatusQuerySet:
        """Keep rows of people this user may see by name."""
        return self.filter(person__in=StaffProfile.objects.for_user(user))

    def with_status(self, as_of: date) -> TrainingStatusQuerySet:
        """Annotate ``status``: the same rule as ``learning.rules.training_status``."""
        paused = Q(
            exception_kind__in=[ExceptionKind.EXEMPT, ExceptionKind.LONG_TERM_ABSENCE]
        ) & (Q(exception_until__isnull=True) | Q(exception_until__gt=as_of))
        return self.annotate(
            status=Case(
                When(paused, then="exception_kind"),
                When(
                    exception_kind=ExceptionKind.EXTENSION,
                    exception_until__gt=as_of,
                    then=Value(Status.EXTENSION),
                ),
                When(deadline__isnull=True, then=Value(Status.IN_DATE)),
                When(deadline__lte=as_of, then=Value(Status.OVERDUE)),
                When(due_soon_from__lte=as_of, then=Value(Status.DUE_SOON)),
                When(last_completed_on__isnull=False, then=Value(Status.IN_DATE)),
                default=Value(Status.NOT_YET_DUE),
                output_field=models.CharField(),
            )
        )

    def overdue(self, as_of: date) -> TrainingStatusQuerySet:
        """Keep rows overdue on ``as_of``."""
        # ``status`` is the annotation above (the stubs cannot see annotations).
        return self.with_status(as_of).filter(status=Status.OVERDUE)  # type: ignore[misc]

    def due_soon(self, as_of: date) -> TrainingStatusQuerySet:
        """Keep rows due soon on ``as_of``."""
        return self.with_status(as_of).filter(status=Status.DUE_SOON)  # type: ignore[misc]

    def expiring_between(self, start: date, end: date) -> TrainingStatusQuerySet:
        """Keep rows whose valid completion expires on or after start, before end."""
        return self.filter(TrainingStatus.expiring_q(start, end))


class TrainingStatus(models.Model):
    """One person and requirement: the dates their status is derived from.

    Updated in the same transaction as every event that changes them; the status
    itself is worked out from these dates and ``as_of``, so it is never stale.
    """

    person = models.ForeignKey(
        StaffProfile, on_delete=models.CASCADE, related_name="training_statuses"
    )
    requirement = models.ForeignKey(
        Requirement, on_delete=models.CASCADE, related_name="statuses"
    )
    first_due_on = models.DateField()
    last_completed_on = models.DateField(null=True, blank=True)
    valid_until = models.DateField(
        null=True,
        blank=True,
        help_text="The first day the completion no longer counts.",
    )
    deadline = models.DateField(null=True, blank=True)
    due_soon_from = models.DateField(null=True, blank=True)
    exception_kind = models.CharField(
        max_length=20, choices=ExceptionKind.choices, blank=True
    )
    exception_until = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TrainingStatusQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "training statuses"
        constraints = [
            models.UniqueConstraint(
                fields=["person", "requirement"], name="status_one_per_person_rule"
            )
        ]
        indexes = [
            models.Index(fields=["requirement", "deadline"]),
            models.Index(fields=["valid_until"]),
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.requirement}"

    @staticmethod
    def expiring_q(start: date, end: date) -> Q:
        """The condition for a valid completion expiring on or after start, before end.

        A ``Q`` so aggregates can count it in a ``FILTER`` clause directly.
        """
        return Q(valid_until__gte=start, valid_until__lt=end)

    @property
    def dates(self) -> StatusDates:
        return StatusDates(
            first_due_on=self.first_due_on,
            last_completed_on=self.last_completed_on,
            valid_until=self.valid_until,
            deadline=self.deadline,
            due_soon_from=self.due_soon_from,
            exception_kind=self.exception_kind,
            exception_until=self.exception_until,
        )


class Feedback(models.Model):
    """A learner's rating and comment on a module, given after completing it."""

    completion = models.OneToOneField(
        Completion, on_delete=models.CASCADE, related_name="feedback"
    )
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(blank=True, max_length=2000)
    given_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-given_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5),
                name="feedback_rating_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 for {self.completion.module.title}"
