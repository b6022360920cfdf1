"""The training catalogue and its module pages, authored in Wagtail."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from modelcluster.fields import ParentalKey
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from learning.blocks import QuestionBlock, SectionBlock


class TrainingCatalogPage(Page):
    """The list of training modules, at /training/ under the site root."""

    introduction = models.TextField(blank=True)

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["learning.ModulePage"]
    max_count = 1
    content_panels = [*Page.content_panels, FieldPanel("introduction")]

    class Meta:
        verbose_name = "training catalogue"

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict:
        context = super().get_context(request, *args, **kwargs)
        context["modules"] = (
            ModulePage.objects.child_of(self).live().defer_streamfields()
        )
        return context


class AfterChange(models.TextChoices):
    """What a published material change does to the requirements for the module."""

    REQUIRE = (
        "require",
        "Everyone must take the new version: requirements ask for it, and people "
        "whose completions are all older are told and given the grace period",
    )
    KEEP = (
        "keep",
        "Earlier completions still count until they are next renewed: nobody "
        "needs to redo it now",
    )


class ModulePageForm(WagtailAdminPageForm):
    """The editor's form: ticking 'material change' raises the content version,
    and the editor decides what that does to requirements."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Radios with no "---------" choice; nothing is chosen until the editor does.
        self.fields["requirements_after_change"].choices = AfterChange.choices
        page = self.instance
        live_version = self._live_version()
        if live_version is None:
            return
        if page.content_version > live_version:
            # A draft that already raises the version keeps its decision.
            self.initial["material_change"] = True
        else:
            # The last decision was applied when it was published; start afresh.
            self.initial["requirements_after_change"] = ""
        from learning.material import affected_by

        affected = affected_by(page, live_version + 1)
        self.fields["requirements_after_change"].help_text = (
            f"If everyone must take the new version, {affected.people} "
            f"{'learner' if affected.people == 1 else 'learners'} with only earlier "
            f"completions will be told and given the grace period "
            f"({affected.requirements} "
            f"{'requirement' if affected.requirements == 1 else 'requirements'} "
            "ask for this module)."
        )

    def _live_version(self) -> int | None:
        if not self.instance.pk:
            return None
        return (
            ModulePage.objects.filter(pk=self.instance.pk)
            .values_list("content_version", flat=True)
            .first()
        )

    material_change = forms.BooleanField(
        required=False,
        label="This is a material change",
        help_text="Tick when the guidance has changed enough that completions of "
        "earlier versions should no longer count where a requirement asks for "
        "this version. Publishing raises the content version by one.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not cleaned.get("material_change"):
            cleaned["requirements_after_change"] = ""
            return cleaned
        if not (cleaned.get("what_changed") or "").strip():
            self.add_error(
                "what_changed",
                "Say what changed: learners who must redo the module will see it.",
            )
        if not cleaned.get("requirements_after_change"):
            self.add_error(
                "requirements_after_change",
                "Choose what the material change does to requirements.",
            )
        return cleaned

    def clean_grace_days(self) -> int:
        from learning.material import MAX_GRACE_DAYS

        value = self.cleaned_data.get("grace_days")
        if value is None or not 0 <= value <= MAX_GRACE_DAYS:
            raise forms.ValidationError(
                f"Enter the days people have to take the new version, from 0 to "
                f"{MAX_GRACE_DAYS}."
            )
        return value

    # Plain words beside each field, so an editor never meets a database constraint
    # ("module_pass_mark_1_to_100") or Django's generic number messages.
    def clean_pass_mark_percent(self) -> int:
        value = self.cleaned_data.get("pass_mark_percent")
        if value is None or not 1 <= value <= 100:
            raise forms.ValidationError(
                "Enter a pass mark between 1 and 100 (per cent of questions right)."
            )
        return value

    def clean_questions_shown(self) -> int:
        value = self.cleaned_data.get("questions_shown")
        if value is None or not 0 <= value <= 200:
            raise forms.ValidationError(
                "Enter how many questions each attempt shows, from 0 (all) to 200."
            )
        return value

    def clean_retake_wait_hours(self) -> int:
        value = self.cleaned_data.get("retake_wait_hours")
        if value is None or not 0 <= value <= 24 * 365:
            raise forms.ValidationError(
                "Enter the hours before a retake, from 0 to 8760 (a year)."
            )
        return value

    def clean_estimated_minutes(self) -> int:
        value = self.cleaned_data.get("estimated_minutes")
        if value is None or not 1 <= value <= 24 * 60:
            raise forms.ValidationError(
                "Enter how long the module takes, from 1 to 1440 minutes."
            )
        return value

    def save(self, commit: bool = True) -> ModulePage:
        page: ModulePage = super().save(commit=False)
        # Count from the live version, so saving several drafts raises it only once.
        live_version = self._live_version()
        base = live_version if live_version is not None else page.content_version
        if self.cleaned_data.get("material_change"):
            page.content_version = base + 1
        elif live_version is not None:
            page.content_version = live_version
        if commit:
            page.save()
        return page


def option_key(question_id: str, text: str) -> str:
    """An option's identity: opaque, stable while its text is, never its position."""
    return hashlib.sha256(f"{question_id}\n{text}".encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Question:
    """A knowledge-check question as the marker sees it."""

    id: str
    text: str
    kind: str
    options: list[str]
    correct: frozenset[int]
    explanation: str
    section: int | None = None

    @property
    def keys(self) -> list[str]:
        """Each option's identity, in authored order."""
        return [option_key(self.id, text) for text in self.options]

    @property
    def correct_keys(self) -> frozenset[str]:
        keys = self.keys
        return frozenset(keys[i] for i in self.correct)

    def text_for(self, key: str) -> str | None:
        return dict(zip(self.keys, self.options, strict=True)).get(key)


class ModulePage(Page):
    """A training module: sections to work through, then a knowledge check."""

    summary = models.TextField(help_text="Two or three sentences on what it covers.")
    learning_outcomes = models.TextField(
        help_text="One outcome per line: 'By the end you will be able to ...'"
    )
    audience = models.CharField(max_length=300)
    estimated_minutes = models.PositiveSmallIntegerField(default=30)
    content_version = models.PositiveIntegerField(
        default=1,
        help_text="Raised by one when a material change is published. "
        "Requirements can ask for this version or later.",
    )
    body = StreamField([("section", SectionBlock())], blank=True)
    knowledge_check = StreamField(
        [("question", QuestionBlock())],
        blank=True,
        help_text="Learners see the explanations only after they submit.",
    )
    pass_mark_percent = models.PositiveSmallIntegerField(default=80)
    questions_shown = models.PositiveSmallIntegerField(
        default=0,
        help_text="How many questions each attempt draws from the bank, spread "
        "across sections. The bank should hold at least twice this. 0 shows all.",
    )
    retake_wait_hours = models.PositiveSmallIntegerField(
        default=24,
        help_text="After a fail, a learner may retake once they have revisited the "
        "sections behind the questions they missed, or after this many hours.",
    )
    last_reviewed = models.DateField(
        null=True, blank=True, help_text="When the content was last reviewed."
    )
    next_review = models.DateField(
        null=True,
        blank=True,
        help_text="When it is next due for review. Editors see overdue modules "
        "in the review report.",
    )
    research_basis = models.TextField(
        blank=True,
        help_text="The research and guidance the module rests on, shown to learners.",
    )
    references = models.TextField(
        blank=True, help_text="The reference list: one source per line."
    )
    what_changed = models.TextField(
        blank=True,
        help_text="For a material change: what changed and why, in a few sentences. "
        "Learners see it on the module page and in the email telling them.",
    )
    requirements_after_change = models.CharField(
        "What the material change does to requirements",
        max_length=10,
        choices=AfterChange.choices,
        blank=True,
        help_text="Applied when the change is published.",
    )
    grace_days = models.PositiveSmallIntegerField(
        "Grace period (days)",
        default=30,
        help_text="If everyone must take the new version: how many days from "
        "publishing before anyone with only an older completion is overdue.",
    )
    # Set by ``load_training_content``: a module whose source file is unchanged is
    # left alone, so reloading never makes a new revision or undoes an editor's work.
    source_hash = models.CharField(max_length=64, blank=True, editable=False)

    parent_page_types = ["learning.TrainingCatalogPage"]
    subpage_types: list[str] = []
    base_form_class = ModulePageForm

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("learning_outcomes"),
        MultiFieldPanel(
            [
                FieldPanel("audience"),
                FieldPanel("estimated_minutes"),
                FieldPanel("content_version", read_only=True),
                FieldPanel("material_change"),
                FieldPanel("what_changed"),
                FieldPanel("requirements_after_change", widget=forms.RadioSelect),
                FieldPanel("grace_days"),
            ],
            heading="About the module",
        ),
        FieldPanel("body"),
        MultiFieldPanel(
            [
                FieldPanel("pass_mark_percent"),
                FieldPanel("questions_shown"),
                FieldPanel("retake_wait_hours"),
                FieldPanel("knowledge_check"),
            ],
            heading="Knowledge check",
        ),
        MultiFieldPanel(
            [
                FieldPanel("last_reviewed"),
                FieldPanel("next_review"),
                FieldPanel("research_basis"),
                FieldPanel("references"),
            ],
            heading="Review and sources",
        ),
        InlinePanel(
            "sense_checks",
            heading="Sense checks",
            label="Sense check",
            help_text="Who checked this module, by role, and what changed as a result.",
        ),
    ]
    # The knowledge check is left out on purpose: searching must not reveal answers.
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("learning_outcomes"),
        index.SearchField("audience"),
        index.SearchField("body"),
        index.AutocompleteField("title"),
    ]

    class Meta:
        verbose_name = "training module"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pass_mark_percent__gte=1)
                & models.Q(pass_mark_percent__lte=100),
                name="module_pass_mark_1_to_100",
            )
        ]

    @property
    def reference_list(self) -> list[str]:
        return [line for line in self.references.splitlines() if line.strip()]

    def review_overdue(self, today: date | None = None) -> bool:
        """True when the next review date has passed, or none is set."""
        return review_overdue(self.next_review, today or timezone.localdate())

    @property
    def outcomes(self) -> list[str]:
        return [line for line in self.learning_outcomes.splitlines() if line.strip()]

    @property
    def sections(self) -> list[Any]:
        return [block.value for block in self.body]

    def questions(self) -> list[Question]:
        """Return the knowledge check's questions with their correct options."""
        return [
            Question(
                id=block.id,
                text=block.value["text"],
                kind=block.value["kind"],
                options=[option["text"] for option in block.value["options"]],
                correct=frozenset(
                    i
                    for i, option in enumerate(block.value["options"])
                    if option["correct"]
                ),
                explanation=block.value["explanation"],
                section=block.value.get("section"),
            )
            for block in self.knowledge_check
        ]

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Show one section at a time to a signed-in learner and save their place."""
        from learning.views import serve_module

        return serve_module(request, self)


REVIEW_DUE_SOON_DAYS = 60


def review_overdue(next_review: date | None, today: date) -> bool:
    """A module is overdue for review once its next review date is past, or unset."""
    return next_review is None or next_review < today


def review_status(next_review: date | None, today: date) -> str:
    """'Overdue', 'Due soon' (within 60 days) or 'In date', from the dates alone."""
    if review_overdue(next_review, today):
        return "Overdue"
    assert next_review is not None
    if (next_review - today).days <= REVIEW_DUE_SOON_DAYS:
        return "Due soon"
    return "In date"


class SenseCheckRole(models.TextChoices):
    PRACTITIONERS = "practitioners", "Practitioners"
    YOUNG_PEOPLE = (
        "young_people",
        "Young people with lived experience, through a partner organisation",
    )
    PARENTS_CARERS = "parents_carers", "Parents and carers"


class SenseCheck(Orderable):
    """A record that a module was sense checked: when, by whom (a role, never a
    named individual) and what changed as a result."""

    page = ParentalKey(
        ModulePage, on_delete=models.CASCADE, related_name="sense_checks"
    )
    checked_on = models.DateField()
    reviewed_by = models.CharField(max_length=20, choices=SenseCheckRole.choices)
    partner_organisation = models.CharField(
        max_length=200,
        blank=True,
        help_text="Required for young people: the organisation that supported "
        "them. Never name individual young people.",
    )
    what_changed = models.TextField(help_text="What changed in the module as a result.")

    panels = [
        FieldPanel("checked_on"),
        FieldPanel("reviewed_by"),
        FieldPanel("partner_organisation"),
        FieldPanel("what_changed"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = "sense check"

    def clean(self) -> None:
        errors = {}
        if self.checked_on and self.checked_on > timezone.localdate():
            errors["checked_on"] = "The date of a sense check cannot be in the future."
        if (
            self.reviewed_by == SenseCheckRole.YOUNG_PEOPLE
            and not self.partner_organisation.strip()
        ):
            errors["partner_organisation"] = (
                "Name the partner organisation that supported the young people."
            )
        if errors:
            raise ValidationError(errors)
