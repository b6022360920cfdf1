"""The audit trail: every write service records who did what to which object.

Entries go to Wagtail's log entries (``wagtail.log_actions``), so they show in the
Wagtail admin's history and reports. A summary never holds confidential content:
no reasons, notes or scores, only what happened and to which record.
"""

from __future__ import annotations

from typing import Any

from wagtail.log_actions import log

# Every action the services record: (action, label, message shown in history).
ACTIONS = (
    ("sustain.exception.record", "Record a training exception", "Exception recorded"),
    ("sustain.exception.end", "End a training exception", "Exception ended"),
    (
        "sustain.exception.withdraw",
        "Withdraw a training exception",
        "Exception withdrawn",
    ),
    (
        "sustain.external_training.record",
        "Record external training",
        "External training recorded",
    ),
    (
        "sustain.external_training.approve",
        "Approve external training",
        "External training approved",
    ),
    (
        "sustain.completion.revoke",
        "Revoke a training certificate",
        "Certificate revoked",
    ),
    ("sustain.contract.save", "Change a contract's terms", "Contract terms changed"),
    ("sustain.api_token.create", "Create an API token", "API token created"),
    ("sustain.api_token.revoke", "Revoke an API token", "API token revoked"),
    ("sustain.roster.import", "Import the staff roster", "Roster imported"),
    ("sustain.session.finalise", "Finalise a supervision session", "Finalised"),
    ("sustain.session.acknowledge", "Sign off a supervision session", "Signed off"),
    (
        "sustain.session.disagree",
        "Record disagreement with a session record",
        "Disagreement recorded",
    ),
    ("sustain.session.cancel", "Cancel a supervision session", "Cancelled"),
    (
        "sustain.agreement.make",
        "Write a supervision agreement",
        "Supervision agreement written",
    ),
    (
        "sustain.agreement.acknowledge",
        "Acknowledge a supervision agreement",
        "Supervision agreement acknowledged",
    ),
    ("sustain.staff.supervisor", "Change a supervisor", "Supervisor changed"),
    ("sustain.staff.line_manager", "Change a line manager", "Line manager changed"),
    (
        "sustain.staff.kind",
        "Mark a person as staff or a foster carer",
        "Staff or foster carer changed",
    ),
    ("sustain.user.roles", "Change a person's roles", "Roles changed"),
    ("sustain.keys.rotate", "Rotate the content keys", "Content keys rotated"),
    (
        "sustain.subject_access.export",
        "Produce a person's data (subject access)",
        "Personal data downloaded",
    ),
    (
        "sustain.training_history.record",
        "Record training history at go-live",
        "Training history recorded",
    ),
    (
        "sustain.training_history.import",
        "Import training records from before Sustain",
        "Training records imported",
    ),
    (
        "sustain.roster.quiet_start",
        "Start an organisation quietly",
        "Quiet start set",
    ),
    (
        "sustain.organisation.quiet_start_end",
        "End an organisation's quiet start after its first sweep",
        "Quiet start done",
    ),
    (
        "sustain.notifications.email_frequency",
        "Choose how to be emailed about others",
        "Email frequency chosen",
    ),
    (
        "sustain.registration.record",
        "Record a professional registration",
        "Registration recorded",
    ),
    (
        "sustain.person.erase",
        "Erase a leaver's personal data",
        "Personal data erased",
    ),
    ("sustain.sealed_note.read", "Read a sealed note", "Sealed note read"),
    ("sustain.sealed_note.write", "Write a sealed note", "Sealed note written"),
    (
        "sustain.incident.record",
        "Record a critical incident",
        "Critical incident recorded",
    ),
    (
        "sustain.sign_in.configure",
        "Set an organisation's single sign-on",
        "Single sign-on settings changed",
    ),
    (
        "sustain.sign_in.passwords",
        "Turn an organisation's passwords off or on",
        "Password sign-in switched",
    ),
    ("sustain.passkey.remove", "Remove a passkey", "Passkey removed"),
    ("sustain.booking.book", "Book a supervision session", "Session booked"),
    ("sustain.booking.change", "Change a supervision booking", "Booking changed"),
    ("sustain.booking.cancel", "Cancel a supervision booking", "Booking cancelled"),
)
ACTION_NAMES = frozenset(name for name, _, _ in ACTIONS)


def record_audit(
    *,
    actor: Any,
    action: str,
    instance: Any,
    summary: str = "",
    data: dict[str, Any] | None = None,
) -> Any:
    """Write one audit entry; ``action`` must be one registered in ``ACTIONS``."""
    if action not in ACTION_NAMES:
        raise ValueError(f"Unregistered audit action: {action}")
    payload = {**(data or {}), "summary": summary} if summary else (data or {})
    user = actor if getattr(actor, "is_authenticated", False) else None
    return log(instance, action, user=user, data=payload)


def record_staff_links(
    *, actor: Any, instance: Any, before: dict[str, Any] | None
) -> int:
    """Log a supervisor, line-manager or staff/foster-carer change (``before``: the
    values as they were, None for a new person, who has nothing to change from).
    Returns entries made."""
    made = 0
    for field, action, unset in (
        ("supervisor_id", "sustain.staff.supervisor", None),
        ("line_manager_id", "sustain.staff.line_manager", None),
        ("kind", "sustain.staff.kind", "staff"),
    ):
        old = None if before is None else before.get(field)
        new = getattr(instance, field)
        if old != new and not (before is None and new == unset):
            record_audit(
                actor=actor,
                action=action,
                instance=instance,
                summary=f"{field.removesuffix('_id').replace('_', ' ')} changed",
                data={"from": old, "to": new},
            )
            made += 1
    return made


def record_role_change(
    *, actor: Any, user: Any, before: set[str], after: set[str]
) -> bool:
    """Log the roles (groups) a person gained or lost; say whether any changed."""
    if before == after:
        return False
    record_audit(
        actor=actor,
        action="sustain.user.roles",
        instance=user,
        summary="Roles changed",
        data={"added": sorted(after - before), "removed": sorted(before - after)},
    )
    return True
