"""The audit entries about one person, for their managers' view of the person page.

An entry is about a person when the record it was written against is theirs: their
staff record or account, their completions (a certificate revoked), training
exceptions and external training, the sessions they attended, their supervision
agreements and critical incidents, their API tokens and email choices. ``ABOUT``
names each such model with the path from it to the person. Sealed notes are left out
on purpose: a manager may not learn that one is kept. Entries hold who did what and
when, never content (``workforce.audit``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from wagtail.models import ModelLogEntry

if TYPE_CHECKING:
    from workforce.models import StaffProfile

# Model label -> the lookup from that model to the StaffProfile it is about.
ABOUT: dict[str, str] = {
    "workforce.StaffProfile": "pk",
    "accounts.User": "profile",
    "accounts.ApiToken": "user__profile",
    "learning.Completion": "person",
    "learning.TrainingException": "person",
    "learning.ExternalTraining": "person",
    "supervision.SupervisionSession": "attendances__person",
    "supervision.SupervisionAgreement": "supervisee",
    "supervision.CriticalIncident": "person",
    "notifications.NotificationPreference": "user__profile",
}


def entries_about(person: StaffProfile) -> QuerySet[ModelLogEntry]:
    """Return the audit entries written against ``person``'s records, newest first."""
    about = Q(pk__in=[])
    for label, path in ABOUT.items():
        try:
            model = apps.get_model(label)
        except LookupError:  # an app not installed holds nothing about anyone
            continue
        ids = (
            model._default_manager.filter(**{path: person.pk})
            .annotate(audit_id=Cast("pk", CharField()))
            .values("audit_id")
        )
        about |= Q(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=ids,
        )
    return (
        ModelLogEntry.objects.filter(about)
        .select_related("user", "content_type")
        .order_by("-timestamp", "-pk")
    )
