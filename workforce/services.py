"""Changes to organisations that are not part of a roster import.

Each is one keyword-only function that saves and writes its audit entry, so the
Wagtail admin, the roster import and the daily sweep all change an organisation's
quiet start the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction

from workforce.audit import record_audit
from workforce.models import Organisation

if TYPE_CHECKING:
    from accounts.models import User


@transaction.atomic
def set_quiet_start(
    *, organisation: Organisation, starts_on: date | None, actor: User | None
) -> bool:
    """Set (or, with None, clear) the day an organisation's quiet start begins.

    The first daily sweep on or after that day records the organisation's flags
    without sending their reminders or escalations. Returns whether it changed;
    a change is audited with the date before and after.
    """
    before = (
        Organisation.objects.filter(pk=organisation.pk)
        .values_list("quiet_start_from", flat=True)
        .first()
    )
    organisation.quiet_start_from = starts_on
    if before == starts_on:
        return False
    organisation.save(update_fields=["quiet_start_from"])
    record_audit(
        actor=actor,
        action="sustain.roster.quiet_start",
        instance=organisation,
        summary=(
            f"Quiet start from {starts_on.isoformat()}"
            if starts_on
            else "Quiet start cleared"
        ),
        data={
            "from": before.isoformat() if before else None,
            "to": starts_on.isoformat() if starts_on else None,
        },
    )
    return True


@transaction.atomic
def end_quiet_starts(*, organisation_ids: Iterable[int], as_of: date) -> int:
    """Clear the quiet start of organisations whose quiet sweep for ``as_of`` is
    done, so from the next day their people are told as everyone is. Audited as
    the system's own change; returns how many were ended."""
    ended = 0
    for organisation in Organisation.objects.filter(
        pk__in=set(organisation_ids), quiet_start_from__isnull=False
    ):
        organisation.quiet_start_from = None
        organisation.save(update_fields=["quiet_start_from"])
        record_audit(
            actor=None,
            action="sustain.organisation.quiet_start_end",
            instance=organisation,
            summary=f"Quiet start done by the sweep of {as_of.isoformat()}",
        )
        ended += 1
    return ended
