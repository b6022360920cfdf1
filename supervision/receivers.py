"""Keep status rows current when the workforce changes (same transaction)."""

from typing import Any

from django.dispatch import receiver

from workforce.dates import today
from workforce.signals import staff_changed


@receiver(staff_changed, dispatch_uid="supervision_status_on_staff_changed")
def update_status_when_staff_change(
    sender: Any, *, profile_ids: list[int], **kwargs: Any
) -> None:
    """Recompute the changed people's supervision status rows at once."""
    from supervision.services import sync_supervision_status

    sync_supervision_status(person_ids=profile_ids, as_of=today())
