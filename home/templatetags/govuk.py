"""Template helpers that dress Django form widgets as GOV.UK Frontend components."""

from django import forms, template
from django.forms.boundfield import BoundField

register = template.Library()

WIDGET_CLASSES = {
    forms.Textarea: "govuk-textarea",
    forms.Select: "govuk-select",
    forms.SelectMultiple: "govuk-select",
    forms.FileInput: "govuk-file-upload",
    forms.ClearableFileInput: "govuk-file-upload",
    forms.CheckboxInput: "govuk-checkboxes__input",
}


@register.filter
def govuk_widget(field: BoundField, width: str = "") -> str:
    """Render a field's widget with GOV.UK classes and error and hint descriptions."""
    widget = field.field.widget
    css = next(
        (css for kind, css in WIDGET_CLASSES.items() if type(widget) is kind),
        "govuk-input",
    )
    if field.errors:
        css += f" {css.split()[0]}--error"
    if width:
        css += f" govuk-input--width-{width}"
    described_by = []
    if field.help_text:
        described_by.append(f"{field.id_for_label}-hint")
    if field.errors:
        described_by.append(f"{field.id_for_label}-error")
    attrs = {"class": css}
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    return field.as_widget(attrs=attrs)


@register.filter
def govuk_date_parts(field: BoundField) -> list[dict[str, str]]:
    """Give the date input template its three boxes with what the user typed."""
    from home.forms import GovukDateInput

    values = GovukDateInput.parts_of(field.value())
    return [
        {"name": name, "label": name.capitalize(), "value": values[name]}
        for name in ("day", "month", "year")
    ]
