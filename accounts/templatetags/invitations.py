"""``{% invitation_of person %}``: the person's latest invitation and its status."""

from __future__ import annotations

from django import template
from django.utils import timezone

from accounts.models import Invitation
from workforce.models import StaffProfile

register = template.Library()

LABELS = {
    "sent": ("Invitation sent", "govuk-tag--blue"),
    "accepted": ("Password set", "govuk-tag--green"),
    "expired": ("Invitation expired", "govuk-tag--red"),
    "replaced": ("Invitation replaced", "govuk-tag--grey"),
    "none": ("Not invited", "govuk-tag--grey"),
}


@register.simple_tag
def invitation_of(person: StaffProfile) -> dict[str, object]:
    """Describe where the person's invitation stands, for their page."""
    invitation = Invitation.objects.latest_for(person.user)
    has_password = person.user.has_usable_password()
    if invitation is None:
        status = "accepted" if has_password else "none"
    else:
        status = invitation.status(now=timezone.now())
    label, tag = LABELS[status]
    return {
        "invitation": invitation,
        "status": status,
        "label": label,
        "tag": tag,
        "can_resend": not has_password and person.user.is_active,
    }
