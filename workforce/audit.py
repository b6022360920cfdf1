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
    ("sustain.api_token.create", "Create an API token", "API token created"),
    ("sustain.api_token.revoke", "Revoke an API token", "API token revoked"),
    ("sustain.roster.import", "Import the staff roster", "Roster imported"),
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
