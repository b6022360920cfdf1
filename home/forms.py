"""GOV.UK form patterns shared by every app: the date input and service messages.

The date input asks for day, month and year in three boxes (the GOV.UK pattern), so the
browser's own date picker, which follows its locale, never shows mm/dd/yyyy.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django import forms

PARTS = ("day", "month", "year")


class GovukDateInput(forms.Widget):
    """Three boxes, day, month and year, named ``<name>-day`` and so on."""

    is_govuk_date = True
    template_name = "django/forms/widgets/text.html"  # unused: field.html renders it

    def value_from_datadict(
        self, data: Mapping[str, Any], files: Any, name: str
    ) -> dict[str, str] | str | None:
        parts = {part: (data.get(f"{name}-{part}") or "").strip() for part in PARTS}
        if any(parts.values()):
            return parts
        # A single ISO or dd/mm/yyyy value (an API client, an older form) still works.
        return data.get(name)

    def value_omitted_from_data(
        self, data: Mapping[str, Any], files: Any, name: str
    ) -> bool:
        return name not in data and not any(f"{name}-{part}" in data for part in PARTS)

    def id_for_label(self, id_: str) -> str:
        return f"{id_}-day" if id_ else id_

    @staticmethod
    def parts_of(value: object) -> dict[str, str]:
        """Split a bound or initial value into the three boxes' text."""
        if isinstance(value, dict):
            return {part: str(value.get(part, "")) for part in PARTS}
        if isinstance(value, date):
            return {
                "day": str(value.day),
                "month": str(value.month),
                "year": str(value.year),
            }
        if isinstance(value, str) and value:
            try:
                parsed = parse_date_text(value)
            except ValueError:
                return {"day": "", "month": "", "year": ""}
            return GovukDateInput.parts_of(parsed)
        return {"day": "", "month": "", "year": ""}


def parse_date_text(text: str) -> date:
    """Read 2025-04-30 or 30/04/2025; raise ValueError naming what is wrong."""
    text = text.strip()
    if "/" in text:
        pieces = text.split("/")
        if len(pieces) != 3:
            raise ValueError("format")
        day, month, year = pieces
    elif "-" in text:
        pieces = text.split("-")
        if len(pieces) != 3:
            raise ValueError("format")
        year, month, day = pieces
    else:
        raise ValueError("format")
    return date_from_parts(day, month, year)


def date_from_parts(day: str, month: str, year: str) -> date:
    """Build a date from typed parts; ValueError("format") or ("impossible")."""
    if not (
        day.strip().isdigit() and month.strip().isdigit() and year.strip().isdigit()
    ):
        raise ValueError("format")
    if len(year.strip()) != 4:
        raise ValueError("year")
    try:
        return date(int(year), int(month), int(day))
    except ValueError as error:
        raise ValueError("impossible") from error


class GovukDateField(forms.Field):
    """A date typed in the GOV.UK day, month and year boxes, with service messages.

    ``earliest`` and ``latest`` bound the date; messages name the field by its label.
    """

    widget = GovukDateInput

    def __init__(
        self,
        *,
        earliest: date | None = None,
        latest: date | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.earliest = earliest
        self.latest = latest

    def _name(self) -> str:
        return str(self.label or "The date")

    def to_python(self, value: Any) -> date | None:
        if value in (None, "") or (isinstance(value, dict) and not any(value.values())):
            return None
        if isinstance(value, date):
            return value
        name = self._name()
        if isinstance(value, dict):
            missing = [part for part in PARTS if not value.get(part)]
            if missing:
                raise forms.ValidationError(
                    f"{name} must include a {' and '.join(missing)}", code="incomplete"
                )
            try:
                return date_from_parts(value["day"], value["month"], value["year"])
            except ValueError as error:
                raise self._error(str(error)) from error
        try:
            return parse_date_text(str(value))
        except ValueError as error:
            raise self._error(str(error)) from error

    def _error(self, reason: str) -> forms.ValidationError:
        name = self._name()
        if reason == "impossible":
            return forms.ValidationError(
                f"{name} must be a real date: that day does not exist",
                code="impossible",
            )
        if reason == "year":
            return forms.ValidationError(
                f"The year of {name.lower()} must include 4 numbers", code="year"
            )
        return forms.ValidationError(
            f"{name} must be a real date, for example 27 3 2026", code="invalid"
        )

    def validate(self, value: date | None) -> None:
        super().validate(value)
        if value is None:
            return
        name = self._name()
        if self.earliest and value < self.earliest:
            raise forms.ValidationError(
                f"{name} must be on or after {self.earliest.day} {self.earliest:%B %Y}",
                code="too_early",
            )
        if self.latest and value > self.latest:
            raise forms.ValidationError(
                f"{name} must be on or before {self.latest.day} {self.latest:%B %Y}",
                code="too_late",
            )


def service_messages(form: forms.BaseForm) -> None:
    """Replace Django's generic "This field is required." with a message per field.

    A form calls this at the end of ``__init__``; a message the form set itself stays.
    """
    generic_required = forms.Field.default_error_messages["required"]
    for field in form.fields.values():
        label = str(field.label or "this").rstrip("?").strip()
        label = label[0].lower() + label[1:] if label[1:2].islower() else label
        if field.error_messages.get("required") == generic_required:
            widget = field.widget
            if isinstance(widget, (forms.Select, forms.RadioSelect)) or isinstance(
                field, forms.ModelChoiceField
            ):
                message = f"Select {label}"
            elif isinstance(widget, forms.CheckboxSelectMultiple):
                message = f"Select at least one option for {label}"
            elif isinstance(widget, forms.ClearableFileInput | forms.FileInput):
                message = "Choose a file to upload"
            else:
                message = f"Enter {label}"
            field.error_messages["required"] = message
        if "invalid_choice" in field.error_messages:
            field.error_messages["invalid_choice"] = f"Select {label} from the list"


class ServiceForm(forms.Form):
    """A form whose messages are written for this service, not Django's defaults."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        service_messages(self)
