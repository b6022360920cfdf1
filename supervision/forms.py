"""Forms for sessions, check-ins, actions and sign-off. Errors show beside fields."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

from home.forms import GovukDateField, ServiceForm
from supervision.incidents import CASE_REFERENCE
from supervision.models import (
    PRE_SESSION_TEXT_LIMIT,
    CriticalIncident,
    SupervisionSession,
    SupportOffered,
)
from workforce.dates import add_months
from workforce.models import StaffProfile

# A session is recorded within this many months of the day it was held.
SESSION_RECORD_WINDOW_MONTHS = 12
# A next session is booked at most this many months ahead.
NEXT_SESSION_WINDOW_MONTHS = 12
CASE_HINT = (
    "Refer to children and families by case reference only, like C-1042. "
    "Never write a child's name here."
)


class SessionForm(ServiceForm):
    """The supervisor's record of a session: metadata and the three parts."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    supervisees = forms.ModelMultipleChoiceField(
        queryset=StaffProfile.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="Who attended",
        help_text="Choose more than one for a group session: it counts for each "
        "person.",
        error_messages={"required": "Choose at least one supervisee"},
    )
    held_on = GovukDateField(
        label="Date of the session",
        error_messages={"required": "Enter the date of the session"},
    )
    duration_minutes = forms.IntegerField(
        label="Length in minutes",
        validators=[
            MinValueValidator(1, "The length must be at least 1 minute"),
            MaxValueValidator(480, "The length must be 480 minutes (8 hours) or less"),
        ],
        error_messages={"required": "Enter how long the session lasted"},
    )
    format = forms.ChoiceField(choices=SupervisionSession.Format.choices)
    case_discussions = forms.CharField(
        label="Case discussions",
        widget=forms.Textarea,
        required=False,
        help_text=CASE_HINT,
    )
    decisions = forms.CharField(
        label="Decisions", widget=forms.Textarea, required=False, help_text=CASE_HINT
    )
    experience = forms.CharField(
        label="Experience: what happened", widget=forms.Textarea, required=False
    )
    feelings = forms.CharField(
        label="Feelings: what it felt like", widget=forms.Textarea, required=False
    )
    analysis = forms.CharField(
        label="Analysis: making sense of it", widget=forms.Textarea, required=False
    )
    learning = forms.CharField(
        label="Learning: what to take from it", widget=forms.Textarea, required=False
    )
    plan = forms.CharField(
        label="Plan: what happens next", widget=forms.Textarea, required=False
    )
    wellbeing_discussed = forms.BooleanField(
        label="Wellbeing and emotional impact were discussed",
        required=False,
        help_text="Only this yes or no is counted in reports, never what was said.",
    )
    unannounced = forms.BooleanField(
        label="This was an unannounced visit to a foster carer",
        required=False,
        help_text="The fostering standards ask for at least one a year.",
    )
    next_session_on = GovukDateField(label="Date of the next session", required=False)

    def __init__(self, *args, supervisor: StaffProfile, as_of: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.as_of = as_of
        self.fields["supervisees"].queryset = StaffProfile.objects.filter(
            supervisor=supervisor
        ).select_related("user")
        self.fields["supervisees"].label_from_instance = lambda p: p.full_name
        # Only a supervising social worker visits foster carers unannounced.
        if not self.fields["supervisees"].queryset.foster_carers().exists():
            del self.fields["unannounced"]

    def clean_held_on(self) -> date:
        held_on = self.cleaned_data["held_on"]
        if held_on > self.as_of:
            raise forms.ValidationError(
                "The date of the session must be today or earlier"
            )
        earliest = add_months(self.as_of, -SESSION_RECORD_WINDOW_MONTHS)
        if held_on < earliest:
            raise forms.ValidationError(
                "The date of the session must be within the last "
                f"{SESSION_RECORD_WINDOW_MONTHS} months, on or after "
                f"{earliest.day} {earliest:%B %Y}"
            )
        return held_on

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        held_on, next_on = cleaned.get("held_on"), cleaned.get("next_session_on")
        if isinstance(held_on, date) and isinstance(next_on, date):
            if next_on <= held_on:
                self.add_error(
                    "next_session_on",
                    "The date of the next session must be after the date of the "
                    "session",
                )
            elif next_on > add_months(held_on, NEXT_SESSION_WINDOW_MONTHS):
                self.add_error(
                    "next_session_on",
                    "The date of the next session must be within "
                    f"{NEXT_SESSION_WINDOW_MONTHS} months of the session",
                )
        return cleaned


HIGHER_IS_HARDER = "0 to 10. A higher number means it is harder for you."
HIGHER_IS_BETTER = "0 to 10. A higher number means things are better for you."


def _score(label: str, direction: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        help_text=direction,
        validators=[
            MinValueValidator(0, "Enter a number from 0 to 10"),
            MaxValueValidator(10, "Enter a number from 0 to 10"),
        ],
        error_messages={"invalid": "Enter a number from 0 to 10"},
    )


class CheckInScoresMixin(forms.Form):
    """The four check-in questions, shared by the supervisor's record of a check-in
    and the supervisee's own before a session.

    The first scale runs the other way from the rest, so each says which way is
    better. A form with only empty answers is refused with ``empty_message``.
    """

    empty_message = "Answer at least one question before saving the check-in"

    impact = _score(
        "How much is the work staying with you? (0 not at all, 10 a lot)",
        HIGHER_IS_HARDER,
    )
    switching_off = _score(
        "How well are you switching off and sleeping? (0 not at all, 10 very well)",
        HIGHER_IS_BETTER,
    )
    support = _score(
        "How supported do you feel? (0 not at all, 10 very)", HIGHER_IS_BETTER
    )
    workload = _score(
        "How manageable is your workload? (0 not at all, 10 very)", HIGHER_IS_BETTER
    )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if not self.errors and all(
            cleaned.get(name) in (None, "", []) for name in self.fields
        ):
            raise forms.ValidationError(self.empty_message)
        return cleaned


class CheckInForm(CheckInScoresMixin, ServiceForm):
    """The four-question check-in: a conversation aid, not a clinical measure."""

    empty_message = (
        "Answer at least one question, or record the support offered, "
        "before saving the check-in"
    )

    support_offered = forms.MultipleChoiceField(
        label="Support offered",
        choices=SupportOffered.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    wellbeing_notes = forms.CharField(
        label="Wellbeing and emotional impact",
        widget=forms.Textarea,
        required=False,
        help_text="What is staying with them, what is sustaining them, and what "
        "support they need. Only they and you read this, even in a group session.",
    )
    caseload = forms.IntegerField(
        label="Open cases held at the session",
        required=False,
        validators=[
            MinValueValidator(0, "Enter 0 or more"),
            MaxValueValidator(500, "Enter 500 or fewer"),
        ],
        error_messages={"invalid": "Enter the number of open cases, like 12"},
    )


class PreSessionCheckInForm(CheckInScoresMixin, ServiceForm):
    """The supervisee's own check-in before a session, in their own words."""

    empty_message = (
        "Answer at least one question, or write what would help, "
        "before saving your check-in"
    )

    what_would_help = forms.CharField(
        label="What would help?",
        help_text=(
            "Anything you want your supervisor to know before you meet: what is "
            "weighing on you, what you would like to talk about, what would help. "
            "Do not name children; use a case reference."
        ),
        required=False,
        max_length=PRE_SESSION_TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "max_length": f"Write {PRE_SESSION_TEXT_LIMIT:,} characters or fewer"
        },
    )
    support_wanted = forms.MultipleChoiceField(
        label="Support you would like to talk about",
        choices=SupportOffered.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class ActionForm(ServiceForm):
    description = forms.CharField(
        label="Action",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Describe the action"},
    )
    owner = forms.ModelChoiceField(
        queryset=StaffProfile.objects.none(),
        label="Who owns it",
        empty_label="Choose who owns it",
        error_messages={"required": "Choose who owns this action"},
    )
    due_on = GovukDateField(
        label="Due by", error_messages={"required": "Enter a due date"}
    )

    def __init__(
        self, *args, session: SupervisionSession, as_of: date | None = None, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.as_of = as_of
        owners = StaffProfile.objects.filter(
            pk__in=[
                session.supervisor_id,
                *session.attendances.values_list("person_id", flat=True),
            ]
        ).select_related("user")
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = lambda p: p.full_name

    def clean_due_on(self) -> date:
        due_on = self.cleaned_data["due_on"]
        if self.as_of and due_on < self.as_of:
            raise forms.ValidationError("The due date must be today or in the future")
        if self.as_of and due_on > add_months(self.as_of, 24):
            raise forms.ValidationError("The due date must be within 2 years")
        return due_on


class CancelForm(ServiceForm):
    reason = forms.CharField(
        label="Why was the session cancelled?",
        max_length=300,
        error_messages={"required": "Say why the session was cancelled"},
    )


class ReflectionForm(ServiceForm):
    text = forms.CharField(
        label="Your reflection",
        widget=forms.Textarea,
        error_messages={"required": "Write your reflection"},
    )
    practice_change = forms.CharField(
        label="How has it changed your practice? (optional)",
        help_text="For your CPD record: what you now do differently.",
        required=False,
        max_length=PRE_SESSION_TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    include_in_cpd = forms.BooleanField(
        label="Include this reflection in my CPD record", required=False
    )
    discussed_with_peer = forms.BooleanField(
        label="I have discussed this reflection with a peer", required=False
    )


class DisagreementForm(ServiceForm):
    text = forms.CharField(
        label="What do you disagree with?",
        widget=forms.Textarea,
        error_messages={"required": "Say what you disagree with"},
    )


class AgreementForm(ServiceForm):
    """A supervision agreement, written by the supervisor for one supervisee."""

    frequency = forms.CharField(
        label="How often you will meet, and for how long",
        help_text="For example: every four weeks, 90 minutes, one-to-one",
        max_length=200,
    )
    place = forms.CharField(
        label="Where you will meet",
        help_text="For example: a private room at the office, or by video call",
        max_length=200,
    )
    confidentiality = forms.CharField(
        label="What stays between you, and its limits",
        help_text=(
            "Say what is kept private, who else may read the record, and that a "
            "safeguarding concern is always shared."
        ),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    missed_sessions = forms.CharField(
        label="What happens when a session is missed",
        help_text="For example: it is rebooked within two weeks, and why it was missed "
        "is recorded.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def cpd_years(as_of: date, count: int = 3) -> list[tuple[str, str]]:
    """The latest ``count`` CPD years, newest first, as (start ISO date, label).

    Social Work England's registration (and CPD) year runs from 1 December to
    30 November.
    """
    start_year = as_of.year if as_of.month == 12 else as_of.year - 1
    years = []
    for year in range(start_year, start_year - count, -1):
        start = date(year, 12, 1)
        years.append(
            (start.isoformat(), f"1 December {year} to 30 November {year + 1}")
        )
    return years


class CPDRecordForm(ServiceForm):
    """Which CPD year to download, and in which format."""

    period = forms.ChoiceField(label="CPD year")
    format = forms.ChoiceField(
        label="Format",
        choices=[("csv", "CSV"), ("xlsx", "Excel (XLSX)"), ("pdf", "PDF")],
        initial="csv",
    )

    def __init__(self, *args: object, as_of: date, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = cpd_years(as_of)

    def period_dates(self) -> tuple[date, date]:
        start = date.fromisoformat(self.cleaned_data["period"])
        return start, date(start.year + 1, 11, 30)


class SealedNoteForm(ServiceForm):
    """The sealed note a supervisor keeps with one supervisee."""

    text = forms.CharField(
        label="Sealed note",
        help_text=(
            "For personal matters that should stay between you two, apart from the "
            "session record. Only you and they can read it; each read is recorded."
        ),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 8}),
    )


TIME_PATTERN = re.compile(r"^(\d{1,2})[:.](\d{2})\s*(am|pm)?$|^(\d{1,2})\s*(am|pm)$")


def parse_time_text(text: str) -> time:
    """Read 14:30, 14.30, 2:30pm or 2pm; raise ValueError if it is no real time."""
    match = TIME_PATTERN.match(text.strip().lower())
    if match is None:
        raise ValueError(text)
    hour_text, minute_text, suffix = (
        (match[1], match[2], match[3]) if match[1] else (match[4], "0", match[5])
    )
    hour, minute = int(hour_text), int(minute_text)
    if suffix:
        if not 1 <= hour <= 12:
            raise ValueError(text)
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    return time(hour, minute)  # ValueError past 23:59


class BookingForm(ServiceForm):
    """When and where the next session is: a date, a time, a length and a place."""

    MODES = [("in_person", "In person"), ("online", "Online")]

    starts_on = GovukDateField(
        label="Date of the session",
        error_messages={"required": "Enter the date of the session"},
    )
    starts_at_time = forms.CharField(
        label="Start time",
        help_text="Use the 24-hour clock, for example 14:30",
        max_length=10,
        error_messages={"required": "Enter the start time"},
    )
    duration_minutes = forms.IntegerField(
        label="Length in minutes",
        validators=[
            MaxValueValidator(480, "The length must be 480 minutes (8 hours) or less")
        ],
        error_messages={
            "required": "Enter how long the session will last",
            "invalid": "Enter the length as a number of minutes, like 90",
        },
    )
    mode = forms.ChoiceField(
        label="How you will meet",
        choices=MODES,
        widget=forms.RadioSelect,
        error_messages={"required": "Select how you will meet"},
    )
    place = forms.CharField(
        label="Where you will meet, if in person",
        help_text="For example, the small meeting room at Harbour House",
        max_length=200,
        required=False,
        error_messages={"max_length": "Keep the place to 200 characters or fewer"},
    )
    online_link = forms.CharField(
        label="Link to the online meeting, if online",
        help_text="Starting https://",
        max_length=500,
        required=False,
        error_messages={"max_length": "Keep the link to 500 characters or fewer"},
    )

    def __init__(self, *args: Any, now: datetime, shortest: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = timezone.localtime(now)
        self.shortest = shortest
        self.fields["duration_minutes"].help_text = (
            f"At least {shortest} minutes: a shorter session does not count under "
            "this person's supervision policy"
        )

    def clean_starts_on(self) -> date:
        day = self.cleaned_data["starts_on"]
        if day < self.now.date():
            raise forms.ValidationError(
                "The date of the session must be today or in the future"
            )
        latest = self.now.date() + timedelta(days=365)
        if day > latest:
            raise forms.ValidationError(
                "The date of the session must be within a year, on or before "
                f"{latest.day} {latest:%B %Y}"
            )
        return day

    def clean_starts_at_time(self) -> time:
        try:
            return parse_time_text(self.cleaned_data["starts_at_time"])
        except ValueError:
            raise forms.ValidationError(
                "Enter the start time as hours and minutes, like 14:30"
            ) from None

    def clean_duration_minutes(self) -> int:
        minutes = self.cleaned_data["duration_minutes"]
        if minutes < self.shortest:
            raise forms.ValidationError(
                f"The length must be at least {self.shortest} minutes: a shorter "
                "session does not count under this person's supervision policy"
            )
        return minutes

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        mode = cleaned.get("mode")
        place = (cleaned.get("place") or "").strip()
        link = (cleaned.get("online_link") or "").strip()
        if mode == "in_person":
            link = ""
            if not place:
                self.add_error("place", "Enter where you will meet")
        elif mode == "online":
            place = ""
            if not link:
                self.add_error("online_link", "Enter the link to the online meeting")
            elif urlsplit(link).scheme != "https" or not urlsplit(link).netloc:
                self.add_error(
                    "online_link",
                    "Enter the link to the online meeting, starting https://",
                )
        cleaned["place"], cleaned["online_link"] = place, link
        day, start = cleaned.get("starts_on"), cleaned.get("starts_at_time")
        if isinstance(day, date) and isinstance(start, time):
            starts_at = timezone.make_aware(datetime.combine(day, start))
            cleaned["starts_at"] = starts_at
            if starts_at <= self.now:
                self.add_error("starts_at_time", "The start time must be in the future")
        return cleaned

    @classmethod
    def initial_from(cls, booking: Any) -> dict[str, Any]:
        """The form's starting values for changing ``booking``."""
        local = timezone.localtime(booking.starts_at)
        return {
            "starts_on": local.date(),
            "starts_at_time": f"{local:%H:%M}",
            "duration_minutes": booking.duration_minutes,
            "mode": "online" if booking.online_link else "in_person",
            "place": booking.place,
            "online_link": booking.online_link,
        }


class IncidentForm(ServiceForm):
    """A critical incident in a worker's practice, by case reference only."""

    kind = forms.ChoiceField(
        label="What happened",
        choices=CriticalIncident.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select what kind of incident it was"},
    )
    case_reference = forms.CharField(
        label="Case reference",
        help_text="Like C-1042. Never write a child's name.",
        max_length=20,
        error_messages={"required": "Enter the case reference, like C-1042"},
    )
    occurred_on = GovukDateField(
        label="Date of the incident",
        error_messages={"required": "Enter the date of the incident"},
    )

    def __init__(self, *args: Any, as_of: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.as_of = as_of

    def clean_case_reference(self) -> str:
        reference = self.cleaned_data["case_reference"].strip().upper()
        if not CASE_REFERENCE.match(reference):
            raise forms.ValidationError(
                "Enter a case reference, like C-1042: letters, a hyphen and "
                "numbers. Never write a child's name."
            )
        return reference

    def clean_occurred_on(self) -> date:
        day = self.cleaned_data["occurred_on"]
        if day > self.as_of:
            raise forms.ValidationError(
                "The date of the incident must be today or earlier"
            )
        earliest = add_months(self.as_of, -12)
        if day < earliest:
            raise forms.ValidationError(
                "The date of the incident must be within the last 12 months"
            )
        return day


class HoursForm(ServiceForm):
    """The period to add supervision hours up over."""

    start = GovukDateField(
        label="From", error_messages={"required": "Enter the first day of the period"}
    )
    end = GovukDateField(
        label="To", error_messages={"required": "Enter the last day of the period"}
    )

    def __init__(self, *args: Any, as_of: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.as_of = as_of

    def clean_end(self) -> date:
        end = self.cleaned_data["end"]
        if end > self.as_of:
            raise forms.ValidationError("The last day must be today or earlier")
        return end

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if isinstance(start, date) and isinstance(end, date):
            if start > end:
                self.add_error("start", "The first day must be on or before the last")
            elif start < add_months(end, -24):
                self.add_error("start", "Choose a period of 24 months or less")
        return cleaned
