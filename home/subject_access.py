"""Subject access (UK GDPR article 15): everything Sustain holds about one person.

``EXPORTED`` is the registry of models that hold personal data about a person, each
with the filter that finds that person's rows; ``EXCLUDED`` names every other model
linked to a user or staff record and says why it is left out. A test fails when a
model linked to a person is in neither, so a new model cannot be forgotten.

The ZIP holds one JSON file per exported model (decrypted: it is the person's own
data) and their evidence files. It never holds another person's content: in a group
session only the person's own attendance (check-in, wellbeing notes, reflection)
and their own actions are included, as on the session page.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.apps import apps
from django.db.models import Model, Q
from django.db.models.fields.files import FieldFile

if TYPE_CHECKING:
    from workforce.models import StaffProfile


@dataclass(frozen=True)
class Exported:
    """How to find one person's rows of a model, and which fields to leave out."""

    rows: Callable[[StaffProfile], Q]
    leave_out: tuple[str, ...] = ()
    why_left_out: str = ""
    # Fields only the person's own download holds, never one an admin produces.
    self_only: tuple[str, ...] = ()


def _person(profile: StaffProfile) -> Q:
    return Q(person=profile)


def _user(profile: StaffProfile) -> Q:
    return Q(user_id=profile.user_id)


EXPORTED: dict[str, Exported] = {
    "workforce.StaffProfile": Exported(lambda p: Q(pk=p.pk)),
    "workforce.CaseloadSnapshot": Exported(_person),
    "accounts.Invitation": Exported(
        lambda p: Q(user_id=p.user_id),
        leave_out=("token_hash",),
        why_left_out="a hash of a sign-in link",
    ),
    "learning.Attempt": Exported(_person),
    "learning.Completion": Exported(_person),
    "learning.Feedback": Exported(lambda p: Q(completion__person=p)),
    "learning.ExternalTraining": Exported(_person),
    "learning.SectionProgress": Exported(_person),
    "learning.SectionVisit": Exported(_person),
    "learning.TrainingException": Exported(_person),
    "learning.TrainingStatus": Exported(_person),
    "supervision.SupervisionStatus": Exported(_person),
    # Sessions they attended (not drafts), content included. Notes a supervisor wrote
    # for a whole group before notes were per person may be about others: left out.
    "supervision.SupervisionSession": Exported(
        lambda p: Q(attendances__person=p) & ~Q(state="draft"),
        leave_out=("wellbeing_notes",),
        why_left_out="notes for a whole group, which may be about the others",
    ),
    "supervision.SessionAttendance": Exported(
        lambda p: Q(person=p) & ~Q(session__state="draft")
    ),
    "supervision.SessionAction": Exported(lambda p: Q(owner=p)),
    "supervision.SessionVersion": Exported(
        lambda p: Q(session__attendances__person=p) & ~Q(session__state="draft"),
        leave_out=("content",),
        why_left_out="earlier wording may include notes about others in a group",
    ),
    "supervision.PreSessionCheckIn": Exported(_person),
    "supervision.SupervisionAgreement": Exported(lambda p: Q(supervisee=p)),
    # Notes kept with them (as the supervisee). Notes they keep about others, as a
    # supervisor, are about those people: each is in that person's export instead.
    "supervision.SealedNote": Exported(lambda p: Q(supervisee=p), self_only=("text",)),
    "supervision.AccessEvent": Exported(_person),
    "supervision.SessionBooking": Exported(lambda p: Q(supervisee=p) | Q(supervisor=p)),
    "supervision.CriticalIncident": Exported(
        _person,
        leave_out=("case_reference",),
        why_left_out="the reference of a child's case: about someone else",
    ),
    "notifications.Notification": Exported(lambda p: Q(recipient_id=p.user_id)),
    "notifications.Flag": Exported(_person),
    "notifications.NotificationPreference": Exported(_user),
    "wagtailusers.UserProfile": Exported(_user),
}

EXCLUDED: dict[str, str] = {
    "wagtailcore.Page": "authorship of training pages: editorial, not about them",
    "learning.TrainingCatalogPage": "a Wagtail page: editorial authorship",
    "learning.ModulePage": "a Wagtail page: editorial authorship",
    "wagtailcore.Revision": "drafts of training pages an editor saved",
    "wagtailcore.ModelLogEntry": "the audit trail of writes; an admin produces it",
    "wagtailcore.PageLogEntry": "the audit trail of page edits; an admin produces it",
    "wagtailcore.WorkflowState": "editorial review of training pages",
    "wagtailcore.TaskState": "editorial review of training pages",
    "wagtailcore.Comment": "editors' comments on training pages",
    "wagtailcore.CommentReply": "editors' comments on training pages",
    "wagtailcore.PageSubscription": "an editor's page-comment notifications",
    "wagtailcore.UploadedFile": "a file an editor is uploading to the CMS",
    "wagtailcore.APIToken": "a secret; disclosing it would weaken the account",
    "wagtailadmin.EditingSession": "who has a page open in the editor, kept minutes",
    "wagtailadmin.FormState": "an editor's unsaved form, kept briefly",
    "wagtaildocs.Document": "documents uploaded to the CMS by editors",
    "wagtailimages.Image": "images uploaded to the CMS by editors",
    "accounts.Passkey": "a passkey's public key and counter: sign-in machinery",
    "otp_totp.TOTPDevice": "a two-factor secret; disclosing it weakens the account",
    "otp_static.StaticDevice": "backup codes; disclosing them weakens the account",
    "accounts.ApiToken": "a hash of an API secret, with its name, expiry and last use",
    "authtoken.Token": "an API secret; disclosing it would weaken the account",
    "authtoken.TokenProxy": "an API secret (the same table as authtoken.Token)",
}


def personal_models() -> list[type[Model]]:
    """Return every installed model with a foreign key to a user or staff record."""
    from django.conf import settings

    from workforce.models import StaffProfile

    user = apps.get_model(settings.AUTH_USER_MODEL)
    found = []
    for model in apps.get_models():
        fields = [*model._meta.fields, *model._meta.many_to_many]
        if any(
            getattr(f, "related_model", None) in (user, StaffProfile) for f in fields
        ):
            found.append(model)
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, Model):
        return value.pk
    return value


def _rows(
    model: type[Model], entry: Exported, profile: StaffProfile, *, for_self: bool
) -> list[dict]:
    leave_out = entry.leave_out if for_self else (*entry.leave_out, *entry.self_only)
    names = [
        field.attname
        for field in model._meta.concrete_fields
        if field.name not in leave_out and field.attname not in leave_out
    ]
    rows = []
    for obj in model._default_manager.filter(entry.rows(profile)).distinct():
        rows.append({name: _plain(getattr(obj, name)) for name in names})
    return rows


README = """Everything Sustain holds about {name}, produced on {day}.

Each .json file is one kind of record: a list of rows, one object per row, dates in
ISO 8601 (year-month-day). The evidence folder holds the files uploaded as evidence
of external training. Left out, and why:
{left_out}
"""

SELF_ONLY = """- {label}: {fields} (only the person can download it, from Your data: a
  record between them and their supervisor that nobody else may read)"""


def subject_access_zip(
    profile: StaffProfile, *, as_of: date, for_self: bool = False
) -> bytes:
    """Build the ZIP of one person's data (JSON per record kind, evidence files).

    ``for_self``: the person is downloading it themself, so it holds the
    ``self_only`` fields (their sealed notes) that an admin-produced copy leaves out.
    """
    buffer = io.BytesIO()
    left_out = [
        f"- {label}: {', '.join(entry.leave_out)} ({entry.why_left_out})"
        for label, entry in EXPORTED.items()
        if entry.leave_out
    ]
    if not for_self:
        left_out += [
            SELF_ONLY.format(label=label, fields=", ".join(entry.self_only))
            for label, entry in EXPORTED.items()
            if entry.self_only
        ]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "README.txt",
            README.format(
                name=profile.full_name,
                day=as_of.isoformat(),
                left_out="\n".join(left_out),
            ),
        )
        for label, entry in EXPORTED.items():
            model = apps.get_model(label)
            archive.writestr(
                f"{label}.json",
                json.dumps(
                    _rows(model, entry, profile, for_self=for_self),
                    indent=2,
                    ensure_ascii=False,
                ),
            )
        from learning.models import ExternalTraining

        for record in ExternalTraining.objects.filter(person=profile):
            if record.evidence:
                with record.evidence.open("rb") as evidence:
                    name = record.evidence.name.rsplit("/", 1)[-1]
                    archive.writestr(f"evidence/{record.pk}-{name}", evidence.read())
    return buffer.getvalue()
