"""The six roles, held as auth groups, and how to read them off a user."""

from enum import StrEnum

from django.contrib.auth.models import AnonymousUser

from accounts.models import User


class Role(StrEnum):
    """A role is an auth group of this name; a person may hold several."""

    PRACTITIONER = "Practitioners"
    SUPERVISOR = "Supervisors"
    PROVIDER_MANAGER = "Provider managers"
    COMMISSIONER = "Commissioners"
    CONTENT_EDITOR = "Content editors"
    PLATFORM_ADMIN = "Platform admins"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.PRACTITIONER: "Practitioner",
    Role.SUPERVISOR: "Supervisor",
    Role.PROVIDER_MANAGER: "Provider manager",
    Role.COMMISSIONER: "Commissioner",
    Role.CONTENT_EDITOR: "Content editor",
    Role.PLATFORM_ADMIN: "Platform admin",
}


def roles_of(user: User | AnonymousUser) -> frozenset[Role]:
    """Return the roles a user holds, read once per request and cached on the user."""
    if not user.is_authenticated:
        return frozenset()
    cached: frozenset[Role] | None = getattr(user, "_sustain_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(role for role in Role if role.value in names)
        if user.is_superuser:
            cached |= {Role.PLATFORM_ADMIN}
        user._sustain_roles = cached
    return cached


def has_role(user: User | AnonymousUser, *roles: Role) -> bool:
    """Say whether the user holds any of the given roles."""
    return bool(roles_of(user) & set(roles))
