"""Keep status rows in step when people or requirements change."""

from typing import Any

from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver
from wagtail.signals import page_published

from learning.material import apply_published_change
from learning.models import ModulePage, Requirement
from learning.services import requirement_changed, sync_training_status
from workforce.dates import today
from workforce.signals import staff_changed


@receiver(staff_changed, dispatch_uid="learning_staff_changed")
def staff_changed_resync(sender: Any, profile_ids: list[int], **kwargs: Any) -> None:
    """Re-sync the changed people's status rows, inside the sender's transaction."""
    sync_training_status(person_ids=profile_ids, as_of=today())


@receiver(post_save, sender=Requirement, dispatch_uid="learning_requirement_saved")
def requirement_saved(sender: Any, instance: Requirement, **kwargs: Any) -> None:
    """Re-sync everyone a saved requirement touches."""
    requirement_changed(requirement_id=instance.pk, as_of=today())


def _requirement_links_changed(
    sender: Any, instance: Any, action: str, **kwargs: Any
) -> None:
    if action in ("post_add", "post_remove", "post_clear") and isinstance(
        instance, Requirement
    ):
        requirement_changed(requirement_id=instance.pk, as_of=today())


m2m_changed.connect(
    _requirement_links_changed,
    sender=Requirement.job_roles.through,
    dispatch_uid="learning_requirement_roles",
)
m2m_changed.connect(
    _requirement_links_changed,
    sender=Requirement.organisations.through,
    dispatch_uid="learning_requirement_orgs",
)


@receiver(page_published, sender=ModulePage, dispatch_uid="learning_module_published")
def module_published(
    sender: Any, instance: ModulePage, revision: Any, **kwargs: Any
) -> None:
    """A published material change does to requirements what its editor chose."""
    apply_published_change(
        module=instance,
        decided_by=getattr(revision, "user", None),
        as_of=today(),
    )
