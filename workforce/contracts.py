"""Writing a commissioning contract: the one path, which audits what changed.

The Wagtail admin's contract forms save through :func:`save_contract`, so a change
to a contract's headline targets (what the commissioner's dashboard measures each
provider against) always leaves an entry saying which target moved, from what, to
what, and who moved it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from workforce.audit import record_audit
from workforce.models import TARGET_FIELDS, CommissioningContract

# The terms whose changes are recorded (figures and dates only, nothing confidential).
AUDITED_FIELDS = (
    "service",
    "starts_on",
    "ends_on",
    "caseload_threshold_per_fte",
    "expected_worker_manager_ratio",
    "foster_carers_in_supervision",
    *TARGET_FIELDS,
)


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, bool | int | str) else str(value)


@transaction.atomic
def save_contract(
    *, contract: CommissioningContract, actor: Any
) -> CommissioningContract:
    """Save ``contract`` (new or changed) and audit the terms that changed."""
    before = (
        CommissioningContract.objects.select_for_update()
        .filter(pk=contract.pk)
        .values(*AUDITED_FIELDS)
        .first()
        if contract.pk
        else None
    )
    contract.full_clean()
    contract.save()
    changed = {
        name: [
            _plain(before.get(name)) if before else None,
            _plain(getattr(contract, name)),
        ]
        for name in AUDITED_FIELDS
        if before is None or before.get(name) != getattr(contract, name)
    }
    if changed:
        record_audit(
            actor=actor,
            action="sustain.contract.save",
            instance=contract,
            summary=(
                "Contract created" if before is None else "Contract terms changed"
            ),
            data={"provider_id": contract.provider_id, "changed": changed},
        )
    return contract
