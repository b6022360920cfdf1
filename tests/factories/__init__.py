"""Factories per app; import them from here or from their own modules."""

from tests.factories.workforce import (
    CaseloadSnapshotFactory,
    CommissioningContractFactory,
    JobRoleFactory,
    OrganisationFactory,
    StaffProfileFactory,
    TeamFactory,
    UserFactory,
)

__all__ = [
    "CaseloadSnapshotFactory",
    "CommissioningContractFactory",
    "JobRoleFactory",
    "OrganisationFactory",
    "StaffProfileFactory",
    "TeamFactory",
    "UserFactory",
]
