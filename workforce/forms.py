import re
from datetime import date
from typing import Any

from django import forms

from home.forms import GovukDateField, ServiceForm
from workforce.models import RegistrationBody
from workforce.registration import NUMBER_PATTERN

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class SpreadsheetUploadForm(forms.Form):
    """A CSV or Excel file of at most 5 MB, read into bytes with its format known.

    Every file import's form (the roster, training records) starts from this one,
    so a file too large or of the wrong type is refused in the same words.
    """

    file = forms.FileField(label="File (CSV or Excel .xlsx)")
    file_format = "csv"

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB. Split it.")
        name = upload.name.lower()
        if name.endswith(".xlsx"):
            self.file_format = "xlsx"
        elif not name.endswith(".csv"):
            raise forms.ValidationError("Choose a .csv or .xlsx file.")
        return upload.read()


class RosterUploadForm(SpreadsheetUploadForm):
    """A CSV roster file, checked whole before anything is saved."""

    file = forms.FileField(
        label="Roster file (CSV or Excel .xlsx)",
        help_text="Columns: email, first_name, last_name, organisation, team, "
        "job_role, "
        "started_in_role, qualified_on, fte, supervisor_email, line_manager_email; "
        "optionally left_on, last_supervised_on and training_history. "
        "Dates like 30/04/2025 or 2025-04-30.",
    )
    dry_run = forms.BooleanField(
        label="Check the file only and show what would change, do not save",
        required=False,
        initial=True,
    )
    create_teams = forms.BooleanField(
        label="Create any teams in the file that do not exist yet",
        required=False,
        help_text="Leave this unticked to have a misspelt team reported as an error.",
    )

    quiet_start = forms.BooleanField(
        label="Quiet start: send no reminders, escalations or invitations yet",
        required=False,
        help_text="For going live: the first daily sweep after the import records "
        "everyone's flags without telling anyone of the backlog, and nobody is "
        "invited. Invite people from their page when you are ready.",
    )


class RegistrationForm(ServiceForm):
    """A social worker's professional registration, as a manager checked it."""

    NONE = "none"

    body = forms.ChoiceField(
        label="Registered with",
        choices=[
            *RegistrationBody.choices,
            (NONE, "Not registered (clear the registration)"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select who the person is registered with"},
    )
    number = forms.CharField(
        label="Registration number",
        help_text="Social Work England numbers start SW, like SW123456; Social Care "
        "Wales numbers are digits",
        max_length=20,
        required=False,
    )
    checked_on = GovukDateField(label="Date you checked the register", required=False)
    expires_on = GovukDateField(
        label="Registration expires (optional)",
        help_text="The last day of the registration period, if the register shows one.",
        required=False,
    )

    def __init__(self, *args: Any, as_of: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.as_of = as_of

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("body") in (None, self.NONE):
            return cleaned
        number = re.sub(r"\s+", "", cleaned.get("number") or "").upper()
        if not number:
            self.add_error("number", "Enter the registration number")
        elif not NUMBER_PATTERN.match(number):
            self.add_error(
                "number", "Enter the registration number, like SW123456 or 1234567"
            )
        cleaned["number"] = number
        checked_on = cleaned.get("checked_on")
        if "checked_on" not in self.errors:
            if checked_on is None:
                self.add_error("checked_on", "Enter the date you checked the register")
            elif checked_on > self.as_of:
                self.add_error(
                    "checked_on",
                    "The date you checked the register must be today or earlier",
                )
        expires_on = cleaned.get("expires_on")
        if (
            isinstance(checked_on, date)
            and isinstance(expires_on, date)
            and expires_on < checked_on
        ):
            self.add_error(
                "expires_on",
                "The expiry date must be on or after the date you checked",
            )
        return cleaned
