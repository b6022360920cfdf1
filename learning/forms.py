"""Forms for the learner and manager pages; the services check what matters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from home.forms import GovukDateField, ServiceForm
from learning.evidence import extension_of, validate_evidence
from learning.models import ExceptionReason, ModulePage, Requirement
from learning.rules import ExceptionKind
from learning.services import extension_limit
from workforce.dates import today
from workforce.forms import SpreadsheetUploadForm


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="How useful was this module?",
        coerce=int,
        empty_value=None,
        error_messages={"required": "Choose how useful the module was"},
        # A blank first choice: a learner who just presses Send is asked to choose,
        # instead of "1: not useful" being saved for them.
        choices=[("", "Choose a rating")]
        + [
            (n, f"{n}: {label}")
            for n, label in [
                (1, "not useful"),
                (2, "a little useful"),
                (3, "useful"),
                (4, "very useful"),
                (5, "extremely useful"),
            ]
        ],
    )
    comment = forms.CharField(
        label="Anything you would change? (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Do not include anything that could identify a young person.",
    )


class ExceptionForm(ServiceForm):
    requirement = forms.ModelChoiceField(
        label="Training requirement", queryset=Requirement.objects.none()
    )
    kind = forms.ChoiceField(label="Kind of exception", choices=ExceptionKind.choices)
    reason = forms.ChoiceField(label="Reason", choices=ExceptionReason.choices)
    until = GovukDateField(
        label="Until",
        required=False,
        help_text="For an extension, the new deadline. For an exemption or absence, "
        "the day it ends, if known.",
    )
    note = forms.CharField(
        label="Note (needed if the reason is Other)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: object, requirements: object = None, **kwargs: object):
        super().__init__(*args, **kwargs)
        if requirements is not None:
            self.fields["requirement"].queryset = requirements  # type: ignore[attr-defined]
        latest = extension_limit(today())
        self.fields[
            "until"
        ].help_text += (
            f" An extension can run to {latest.day} {latest:%B %Y} at the latest."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("reason") == ExceptionReason.OTHER
            and not data.get("note", "").strip()
        ):
            self.add_error("note", "Say in the note what the other reason is")
        until = data.get("until")
        latest = extension_limit(today())
        if data.get("kind") == ExceptionKind.EXTENSION and until and until > latest:
            self.add_error(
                "until",
                f"An extension can run to {latest.day} {latest:%B %Y} at the latest",
            )
        return data


class CloseExceptionForm(ServiceForm):
    """End an exception from today, or withdraw one recorded in error."""

    how = forms.ChoiceField(
        choices=[("end", "End it"), ("withdraw", "Withdraw it")],
        widget=forms.HiddenInput,
        error_messages={"required": "Choose whether to end or withdraw it"},
    )
    note = forms.CharField(
        label="Note (needed to withdraw it)",
        help_text="For example: back from leave on Monday, or recorded for the "
        "wrong person.",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Write 2,000 characters or fewer"},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("how") == "withdraw" and not data.get("note", "").strip():
            self.add_error("note", "Say why the exception is being withdrawn")
        return data


class RevokeCertificateForm(ServiceForm):
    """Say why a completion does not stand, so its certificate is revoked."""

    reason = forms.CharField(
        label="Why is it being revoked?",
        help_text="For example: the knowledge check was taken by someone else. "
        "The person, and managers and admins who may see them, can read it; "
        "the public verification page never shows it.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Say why the certificate is being revoked",
            "max_length": "Write 2,000 characters or fewer",
        },
    )


class ExternalTrainingForm(ServiceForm):
    module = forms.ModelChoiceField(
        label="Module it counts as",
        queryset=ModulePage.objects.live().defer_streamfields().order_by("title"),
    )
    title = forms.CharField(label="Course title", max_length=200)
    provider = forms.CharField(label="Delivered by", max_length=200)
    completed_on = GovukDateField(label="Date completed")
    evidence = forms.FileField(
        label="Evidence (optional if you give a reference)",
        required=False,
    )
    evidence_reference = forms.CharField(
        label="Certificate number or reference",
        required=False,
        max_length=200,
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields[
            "evidence"
        ].help_text = f"A PDF, PNG or JPEG, smaller than {settings.EVIDENCE_MAX_MB} MB."

    def clean_evidence(self) -> object:
        """Accept a PDF, PNG or JPEG (by its contents) under the size limit."""
        evidence = self.cleaned_data.get("evidence")
        if evidence:
            validate_evidence(evidence)
            evidence.name = f"evidence.{extension_of(evidence)}"
        return evidence


class TrainingRecordsUploadForm(SpreadsheetUploadForm):
    """A file of training done before Sustain, checked whole before any is saved."""

    file = forms.FileField(
        label="Training records file (CSV or Excel .xlsx)",
        help_text="Columns: email, module, completed_on, evidence_reference. "
        "Dates like 30/04/2025 or 2025-04-30.",
    )
    dry_run = forms.BooleanField(
        label="Check the file only and show what it would record, do not save",
        required=False,
        initial=True,
    )
