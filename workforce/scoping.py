"""Who may see whom: the one scoping layer every view, export and API route uses.

The QuerySet methods ``StaffProfile.objects.for_user`` and
``Organisation.objects.for_user`` call these functions; other apps scope their own
records by filtering on the people or organisations these return. An object outside
the scope is simply absent, so a detail view answers 404.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, TypeVar

from django.db.models import Q, QuerySet

from accounts.roles import Role, roles_of

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User
    from workforce.models import StaffProfile

Q_T = TypeVar("Q_T", bound=QuerySet)


def own_profile(user: User | AnonymousUser) -> StaffProfile | None:
    """Return the user's staff profile, or None (cached on the user)."""
    from workforce.models import StaffProfile

    if not user.is_authenticated:
        return None
    if not hasattr(user, "_sustain_profile"):
        loaded = user._state.fields_cache
        # The request's user comes with the profile joined (accounts.backends).
        user._sustain_profile = (
            loaded["profile"]
            if "profile" in loaded
            else StaffProfile.objects.filter(user=user)
            .select_related("organisation", "team", "job_role")
            .first()
        )
    return user._sustain_profile


def person_scope(queryset: Q_T, user: User | AnonymousUser) -> Q_T:
    """Keep the people ``user`` may see by name, as DESIGN.md says."""
    roles = roles_of(user)
    if not user.is_authenticated:
        return queryset.none()
    if Role.PLATFORM_ADMIN in roles:
        return queryset
    profile = own_profile(user)
    if profile is None:
        return queryset.none()
    visible = Q(pk=profile.pk)
    if Role.SUPERVISOR in roles:
        visible |= Q(supervisor=profile)
    if Role.PROVIDER_MANAGER in roles:
        visible |= Q(organisation_id=profile.organisation_id)
    return queryset.filter(visible)


def person_audit_scope(queryset: Q_T, user: User | AnonymousUser) -> Q_T:
    """Keep the people whose audit trail ``user`` may read on their person page.

    A provider manager: the people of their own organisation; a platform admin:
    everyone. Nobody else, a supervisor of someone elsewhere included.
    """
    roles = roles_of(user)
    if not user.is_authenticated:
        return queryset.none()
    if Role.PLATFORM_ADMIN in roles:
        return queryset
    profile = own_profile(user)
    if profile is None or Role.PROVIDER_MANAGER not in roles:
        return queryset.none()
    return queryset.filter(organisation_id=profile.organisation_id)


def organisation_scope(
    queryset: Q_T, user: User | AnonymousUser, *, as_of: date
) -> Q_T:
    """Keep the provider organisations whose aggregate figures ``user`` may see."""
    from workforce.models import CommissioningContract

    roles = roles_of(user)
    if not user.is_authenticated:
        return queryset.none()
    if Role.PLATFORM_ADMIN in roles:
        return queryset.filter(is_provider=True)
    profile = own_profile(user)
    if profile is None:
        return queryset.none()
    visible = Q(pk__in=[])
    if Role.PROVIDER_MANAGER in roles:
        visible |= Q(pk=profile.organisation_id)
    if Role.COMMISSIONER in roles:
        commissioned = CommissioningContract.objects.active(as_of=as_of).filter(
            commissioner_id=profile.organisation_id
        )
        visible |= Q(pk__in=commissioned.values("provider_id"))
    return queryset.filter(visible, is_provider=True)
