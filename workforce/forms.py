from django import forms

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
