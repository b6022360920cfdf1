"""What happens when the sense check approves a training page."""

from __future__ import annotations

from typing import Any


def publish_after_sense_check(workflow_state: Any, user: Any = None) -> None:
    """Publish exactly the revision the reviewer approved.

    Editors hold no publish permission (so they cannot go around the sense
    check); the approval itself is the permission, so the publish skips
    Wagtail's per-user check. A later draft, if any, stays a draft.
    """
    task_state = workflow_state.current_task_state
    revision = task_state.revision if task_state is not None else None
    if revision is None:
        revision = workflow_state.content_object.get_latest_revision()
    revision.publish(user=user, skip_permission_checks=True)
