"""Material changes: when a module changes enough that earlier completions
should stop counting, requirements follow the editor's decision and the
learners affected are told. Every decision is logged against the module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from wagtail.log_actions import log
from wagtail.models import PageLogEntry

from learning.events import module_version_required
from learning.models import Completion, ModulePage, Requirement, TrainingStatus
from learning.models.pages import AfterChange

LOG_ACTION = "learning.require_version"
KEEP_LOG_ACTION = "learning.keep_earlier_completions"
MAX_GRACE_DAYS = 365


class MaterialChangeError(ValueError):
    """A decision that cannot be applied; the message says why, for the form."""


@dataclass(frozen=True)
class Affected:
    requirements: int
    people: int


def affected_by(module: ModulePage, version: int) -> Affected:
    """How many requirements would move, and how many learners hold only
    completions of earlier versions (so would need to take it again)."""
    requirements = Requirement.objects.filter(
        module=module, minimum_version__lt=version
    )
    return Affected(
        requirements=requirements.count(),
        people=len(_people_to_tell(module, version, requirements)),
    )


def _people_to_tell(module: ModulePage, version: int, requirements: Any) -> list[Any]:
    people = (
        TrainingStatus.objects.filter(requirement__in=requirements)
        .values_list("person_id", flat=True)
        .distinct()
    )
    current = Completion.objects.filter(
        module=module, content_version__gte=version
    ).values_list("person_id", flat=True)
    earlier = Completion.objects.filter(
        module=module, content_version__lt=version, person_id__in=people
    ).exclude(person_id__in=current)
    # One completion per person (any will do: it carries the person). Deduplicated
    # here rather than with DISTINCT ON, which SQLite (make run's database) lacks.
    first: dict[int, Any] = {}
    for completion in earlier.select_related("person__user").order_by("person_id"):
        first.setdefault(completion.person_id, completion)
    return list(first.values())


@transaction.atomic
def require_module_version(
    *,
    module: ModulePage,
    version: int,
    grace_days: int,
    decided_by: Any,
    as_of: date,
) -> Affected:
    """Make every requirement of ``module`` ask for ``version`` or later.

    People whose completions are all of earlier versions are due ``grace_days``
    after ``as_of`` (not overdue at once), and each is told through the outbox,
    with the module's "what changed" note. The decision is logged with who made it.
    """
    module = ModulePage.objects.select_for_update().get(pk=module.pk)
    if not 1 <= version <= module.content_version:
        raise MaterialChangeError(
            f"Choose a version between 1 and {module.content_version}, the live one."
        )
    if not 0 <= grace_days <= MAX_GRACE_DAYS:
        raise MaterialChangeError(
            f"The grace period must be between 0 and {MAX_GRACE_DAYS} days."
        )
    if not module.what_changed.strip():
        raise MaterialChangeError(
            "Write what changed on the module page first: learners are shown it."
        )
    requirements = list(
        Requirement.objects.select_for_update().filter(
            module=module, minimum_version__lt=version
        )
    )
    due_by = as_of + timedelta(days=grace_days)
    to_tell = _people_to_tell(module, version, requirements)
    for requirement in requirements:
        requirement.minimum_version = version
        requirement.version_required_from = due_by
        requirement.save(update_fields=["minimum_version", "version_required_from"])
    module_version_required.send(
        sender=ModulePage,
        module=module,
        version=version,
        due_by=due_by,
        people=[completion.person for completion in to_tell],
    )
    log(
        instance=module,
        action=LOG_ACTION,
        user=decided_by,
        data={
            "version": version,
            "grace_days": grace_days,
            "due_by": due_by.isoformat(),
            "requirements": [r.pk for r in requirements],
            "people_told": len(to_tell),
        },
    )
    return Affected(requirements=len(requirements), people=len(to_tell))


def apply_published_change(
    *, module: ModulePage, decided_by: Any, as_of: date
) -> Affected | None:
    """Carry out the editor's decision on a just-published material change, once
    per version: require the version (``require_module_version``) or record that
    earlier completions still count. ``decided_by`` is whoever wrote the revision."""
    decision = module.requirements_after_change
    if decision not in AfterChange.values:
        return None
    version = module.content_version
    if PageLogEntry.objects.filter(
        page=module,
        action__in=[LOG_ACTION, KEEP_LOG_ACTION],
        data__version=version,
    ).exists():
        return None
    if decision == AfterChange.REQUIRE:
        return require_module_version(
            module=module,
            version=version,
            grace_days=module.grace_days,
            decided_by=decided_by,
            as_of=as_of,
        )
    log(
        instance=module,
        action=KEEP_LOG_ACTION,
        user=decided_by,
        data={"version": version},
    )
    return Affected(requirements=0, people=0)
