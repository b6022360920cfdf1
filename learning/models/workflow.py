"""The sense-check step of the training workflow, with separation of duties.

Members of the chosen groups approve or request changes, as in Wagtail's own
group approval task, except that nobody may approve a revision they submitted
or wrote: the second pair of eyes has to be someone else's.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from wagtail.models import AbstractGroupApprovalTask, TaskState


def _authors(task_state: TaskState) -> set[int]:
    """The ids of the people who submitted or wrote the revision under review."""
    ids = set()
    requested_by = task_state.workflow_state.requested_by_id
    if requested_by is not None:
        ids.add(requested_by)
    revision = task_state.revision
    if revision is not None and revision.user_id is not None:
        ids.add(revision.user_id)
    return ids


class SenseCheckTask(AbstractGroupApprovalTask):
    """Group approval in which neither submitter nor author may approve."""

    class Meta:
        verbose_name = "sense check task"
        verbose_name_plural = "sense check tasks"

    @classmethod
    def get_description(cls) -> str:
        return (
            "Members of the chosen groups approve, except whoever submitted or "
            "wrote the revision."
        )

    def _current_state(self, obj: Any) -> TaskState | None:
        state = getattr(obj, "current_workflow_task_state", None)
        if state is not None and state.task_id == self.pk:
            return state
        return None

    def get_actions(self, obj: Any, user: Any) -> list[tuple[str, str, bool]]:
        actions = super().get_actions(obj, user)
        state = self._current_state(obj)
        if state is not None and user.pk in _authors(state):
            # Others must approve; the author may still see the page, not approve it.
            return []
        return actions

    def get_task_states_user_can_moderate(self, user: Any, **kwargs: Any) -> Any:
        states = super().get_task_states_user_can_moderate(user, **kwargs)
        return states.exclude(workflow_state__requested_by=user).exclude(
            revision__user=user
        )

    def on_action(
        self, task_state: TaskState, user: Any, action_name: str, **kwargs: Any
    ) -> Any:
        if action_name == "approve" and user.pk in _authors(task_state):
            raise PermissionDenied("You cannot approve a revision you submitted.")
        return super().on_action(task_state, user, action_name, **kwargs)
