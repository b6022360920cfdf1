"""The filters on the flags page: each a choice from a fixed list, so anything else
typed into the address is reported beside the field and filters nothing."""

from __future__ import annotations

from django import forms

from notifications.models import EmailFrequency, FlagKind, FlagLevel

SORTS = {
    # Most serious rung first, then the longest overdue.
    "urgency": ("-level_rank", "deadline", "person__user__last_name", "pk"),
    "overdue": ("deadline", "-level_rank", "person__user__last_name", "pk"),
    "name": ("person__user__last_name", "person__user__first_name", "deadline", "pk"),
}


class FlagFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "All kinds"), *FlagKind.choices]
    )
    level = forms.ChoiceField(
        label="Status", required=False, choices=[("", "All"), *FlagLevel.choices]
    )
    team = forms.TypedChoiceField(
        label="Team", required=False, coerce=int, empty_value=None, choices=[]
    )
    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=[
            ("urgency", "Most urgent first"),
            ("overdue", "Most days overdue first"),
            ("name", "Last name"),
        ],
    )

    def __init__(self, *args: object, teams: list[tuple[int, str]], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["team"].choices = [("", "All teams"), *teams]  # type: ignore[attr-defined]


class EmailFrequencyForm(forms.Form):
    email_about_others = forms.ChoiceField(
        label="How should we email you about the people you look after?",
        choices=EmailFrequency.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how to be emailed about your people"},
    )
