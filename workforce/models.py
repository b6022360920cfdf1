"""Organisations, contracts, teams, job roles and the people who work in them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from workforce.dates import today

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def providers(self) -> OrganisationQuerySet:
        """Keep organisations that provide services."""
        return self.filter(is_provider=True)

    def for_user(
        self, user: User | AnonymousUser, *, as_of: date | None = None
    ) -> OrganisationQuerySet:
        """Keep the providers whose figures this user may see (aggregates at least).

        A platform admin sees all; a provider manager their own organisation; a
        commissioner the providers under their organisation's contracts active on
        ``as_of``. Everyone else sees none.
        """
        from workforce.scoping import organisation_scope

        return organisation_scope(self, user, as_of=as_of or today())


class Organisation(models.Model):
    """A council, charity or company: commissions services, provides them, or both."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    is_commissioner = models.BooleanField(default=False)
    is_provider = models.BooleanField(default=True)
    supervision_retention_months = models.PositiveSmallIntegerField(
        default=72,
        validators=[MinValueValidator(1), MaxValueValidator(25 * 12)],
        help_text="How long supervision notes are kept after a person leaves "
        "(default 6 years). Dates and counts are kept for statistics.",
    )
    # Go-live: while set, the next daily sweep on or after this date records the
    # organisation's flags without sending their reminders or escalations (its
    # people are told nothing of a backlog they inherited), then clears it.
    quiet_start_from = models.DateField(
        null=True,
        blank=True,
        help_text="Quiet start: the first daily sweep on or after this date sends "
        "no reminders or escalations for this organisation's staff.",
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_commissioner=True) | Q(is_provider=True),
                name="organisation_commissions_or_provides",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ContractQuerySet(models.QuerySet["CommissioningContract"]):
    def active(self, *, as_of: date) -> ContractQuerySet:
        """Keep contracts running on ``as_of`` (start and end dates inclusive)."""
        return self.filter(starts_on__lte=as_of).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=as_of)
        )


# The contract's headline targets, each a percentage (0 to 100).
TARGET_FIELDS = (
    "target_training_coverage_pct",
    "target_supervision_in_date_pct",
    "target_overdue_max_pct",
    "target_near_points",
)


def _target(
    label: str, default: int, help_text: str
) -> models.PositiveSmallIntegerField:
    """A headline target: a whole percentage, 0 to 100 (a CHECK constraint too)."""
    return models.PositiveSmallIntegerField(
        label, default=default, validators=[MaxValueValidator(100)], help_text=help_text
    )


class CommissioningContract(models.Model):
    """A commissioner funds a provider to run a service, with workforce expectations."""

    commissioner = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="contracts_commissioned",
        limit_choices_to={"is_commissioner": True},
    )
    provider = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="contracts_held",
        limit_choices_to={"is_provider": True},
    )
    service = models.CharField(max_length=200)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    caseload_threshold_per_fte = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        default=Decimal("15.0"),
        validators=[MinValueValidator(Decimal("0.1"))],
        help_text="Open cases per full-time worker above which a caseload is high.",
    )
    expected_worker_manager_ratio = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        default=Decimal("8.0"),
        validators=[MinValueValidator(Decimal("0.1"))],
        help_text="Frontline worker FTE per manager FTE the contract expects, at most.",
    )
    # The headline targets the commissioner's dashboard reports against. "Near"
    # means within ``target_near_points`` percentage points on the wrong side.
    foster_carers_in_supervision = models.BooleanField(
        "foster carers count in supervision figures",
        default=False,
        help_text=(
            "Foster carers are not staff, so they are left out of every staff figure. "
            "Tick this when the contract covers the provider's supervision of its "
            "foster carers: they then count in its supervision figures (never in "
            "staffing ratios, caseloads or training coverage)."
        ),
    )
    target_training_coverage_pct = _target(
        "training coverage target (%)",
        90,
        "The share of required training with a valid completion, at least.",
    )
    target_supervision_in_date_pct = _target(
        "supervision in date target (%)",
        90,
        "The share of people whose supervision is in date, at least.",
    )
    target_overdue_max_pct = _target(
        "overdue limit (%)",
        5,
        "The share of people overdue for supervision, at most.",
    )
    target_near_points = _target(
        "near a target within (percentage points)",
        5,
        "How far short of a target still counts as near it, not missed.",
    )

    objects = ContractQuerySet.as_manager()

    class Meta:
        ordering = ["commissioner__name", "provider__name", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="contract_ends_after_it_starts",
            ),
            models.UniqueConstraint(
                fields=["commissioner", "provider", "service", "starts_on"],
                name="contract_unique_per_service_start",
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{name}__gte": 0, f"{name}__lte": 100}),
                    name=f"contract_{name}_0_to_100",
                )
                for name in TARGET_FIELDS
            ],
        ]

    def __str__(self) -> str:
        return f"{self.commissioner} → {self.provider}: {self.service}"


class TeamQuerySet(models.QuerySet["Team"]):
    def for_user(
        self, user: User | AnonymousUser, *, as_of: date | None = None
    ) -> TeamQuerySet:
        """Keep teams in the organisations whose figures this user may see."""
        return self.filter(
            organisation__in=Organisation.objects.for_user(user, as_of=as_of)
        )


class Team(models.Model):
    """A team within one organisation."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="teams"
    )
    name = models.CharField(max_length=200)

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="team_name_unique_in_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"


class JobRole(models.Model):
    """What a person does: training requirements and supervision policies use it."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    is_frontline = models.BooleanField(
        default=True, help_text="Works directly with young people or families."
    )
    is_manager = models.BooleanField(
        default=False, help_text="Manages staff (counted in worker:manager ratios)."
    )
    is_social_work = models.BooleanField(
        default=False,
        help_text="A social work role: the person's supervisor must be a registered "
        "social worker, or the manager is told (LGA, Standards for employers of "
        "social workers in England, standard 5, 2020).",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RegistrationBody(models.TextChoices):
    SOCIAL_WORK_ENGLAND = "swe", "Social Work England"
    SOCIAL_CARE_WALES = "scw", "Social Care Wales"


class PersonKind(models.TextChoices):
    """Whether a person works for the provider, or fosters for it.

    Foster carers are approved by a fostering service, not employed by it: a named,
    appropriately qualified social worker supervises them (Department for
    Education, Fostering Services: National Minimum Standards, 2011, standard 21.8),
    on their own ladder (``supervision.rules.foster_carer_ladder``), and they are
    left out of every figure about a provider's staff.
    """

    STAFF = "staff", "Staff member"
    FOSTER_CARER = "foster_carer", "Foster carer"


class StaffProfileQuerySet(models.QuerySet["StaffProfile"]):
    def active(self, *, as_of: date) -> StaffProfileQuerySet:
        """Keep people still in post on ``as_of`` (``left_on`` is the last day)."""
        return self.filter(Q(left_on__isnull=True) | Q(left_on__gte=as_of))

    def staff(self) -> StaffProfileQuerySet:
        """Keep the provider's staff: everyone but foster carers."""
        return self.filter(kind=PersonKind.STAFF)

    def foster_carers(self) -> StaffProfileQuerySet:
        """Keep the foster carers a fostering service supervises."""
        return self.filter(kind=PersonKind.FOSTER_CARER)

    def frontline(self) -> StaffProfileQuerySet:
        """Keep people in frontline job roles."""
        return self.filter(job_role__is_frontline=True)

    def for_user(self, user: User | AnonymousUser) -> StaffProfileQuerySet:
        """Keep the people this user may see by name (the one scoping rule for people).

        A practitioner sees themself, a supervisor also their supervisees, a provider
        manager everyone in their organisation, a platform admin everyone. A
        commissioner sees no one by name: only aggregates.
        """
        from workforce.scoping import person_scope

        return person_scope(self, user)

    def audit_for_user(self, user: User | AnonymousUser) -> StaffProfileQuerySet:
        """Keep the people whose audit trail this user may read (their managers)."""
        from workforce.scoping import person_audit_scope

        return person_audit_scope(self, user)


class StaffProfile(models.Model):
    """A person's place in the workforce: organisation, team, role and managers."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="staff"
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="members"
    )
    job_role = models.ForeignKey(
        JobRole, on_delete=models.PROTECT, related_name="staff"
    )
    kind = models.CharField(
        max_length=12,
        choices=PersonKind.choices,
        default=PersonKind.STAFF,
        help_text="A foster carer is supervised by a supervising social worker under "
        "the fostering standards, and is left out of the provider's staff figures. "
        "For a foster carer, the start in role is the date of approval.",
    )
    started_in_role = models.DateField()
    qualified_on = models.DateField(null=True, blank=True)
    fte = models.DecimalField(
        "FTE",
        max_digits=3,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[
            MinValueValidator(Decimal("0.01")),
            MaxValueValidator(Decimal("1")),
        ],
    )
    supervisor = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supervisees",
    )
    line_manager = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="line_reports",
    )
    left_on = models.DateField(null=True, blank=True, help_text="Last day in post.")
    last_supervised_on = models.DateField(
        null=True,
        blank=True,
        help_text="Last supervised before Sustain's own records (from the roster): "
        "counts like a session until a later one is recorded.",
    )
    registration_body = models.CharField(
        max_length=4,
        choices=RegistrationBody.choices,
        blank=True,
        help_text="The regulator the person is registered with as a social worker.",
    )
    registration_number = models.CharField(max_length=20, blank=True)
    registration_checked_on = models.DateField(
        null=True,
        blank=True,
        help_text="When the register was last checked for this number.",
    )
    registration_expires_on = models.DateField(
        null=True,
        blank=True,
        help_text="The last day of the registration period the register shows, if "
        "it gives one (Social Work England's renewal year ends on 30 November).",
    )
    long_term_absence_from = models.DateField(
        null=True,
        blank=True,
        help_text="Set while the person is on long-term absence; clear on return.",
    )
    erased_on = models.DateField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the person's personal data was erased, past retention after "
        "leaving; their dated records stay, unnamed, for past figures.",
    )

    objects = StaffProfileQuerySet.as_manager()

    class Meta:
        ordering = ["user__last_name", "user__first_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fte__gt=0) & Q(fte__lte=1), name="staff_fte_between_0_and_1"
            ),
            models.CheckConstraint(
                condition=~Q(supervisor=F("pk")), name="staff_not_own_supervisor"
            ),
            # A registration is a body, a number and the day it was checked (with
            # an expiry if the register gives one), or none.
            models.CheckConstraint(
                condition=Q(
                    registration_body="",
                    registration_number="",
                    registration_checked_on__isnull=True,
                    registration_expires_on__isnull=True,
                )
                | (
                    ~Q(registration_body="")
                    & ~Q(registration_number="")
                    & Q(registration_checked_on__isnull=False)
                ),
                name="staff_registration_complete_or_blank",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "team"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return self.user.get_full_name() or self.user.username

    @property
    def is_foster_carer(self) -> bool:
        return self.kind == PersonKind.FOSTER_CARER

    def is_active_on(self, as_of: date) -> bool:
        """Say whether the person is still in post on ``as_of``."""
        return self.left_on is None or self.left_on >= as_of


class CaseloadSnapshot(models.Model):
    """How many open cases a person held on a date (taken at sessions and month end)."""

    person = models.ForeignKey(
        StaffProfile, on_delete=models.CASCADE, related_name="caseload_snapshots"
    )
    taken_on = models.DateField()
    open_cases = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["-taken_on"]
        get_latest_by = "taken_on"
        constraints = [
            models.UniqueConstraint(
                fields=["person", "taken_on"], name="caseload_one_snapshot_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.open_cases} on {self.taken_on}"
