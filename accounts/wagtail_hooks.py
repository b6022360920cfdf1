"""Invite people an admin creates in the Wagtail admin without a password."""

from django.http import HttpRequest
from wagtail import hooks

from accounts.invitations import invite_new_people
from accounts.models import User


@hooks.register("after_create_user")
def invite_created_user(request: HttpRequest, user: User) -> None:
    invite_new_people(
        users=[user],
        invited_by=request.user if isinstance(request.user, User) else None,
    )


def _role_names(user: User) -> set[str]:
    return set(User.objects.get(pk=user.pk).groups.values_list("name", flat=True))


@hooks.register("before_edit_user")
def remember_roles(request: HttpRequest, user: User) -> None:
    """Note the roles before an edit, so the audit entry can say what changed."""
    request._sustain_roles_before = _role_names(user)  # type: ignore[attr-defined]


@hooks.register("after_edit_user")
def audit_role_change(request: HttpRequest, user: User) -> None:
    from workforce.audit import record_role_change

    record_role_change(
        actor=request.user,
        user=user,
        before=getattr(request, "_sustain_roles_before", set()),
        after=_role_names(user),
    )


@hooks.register("after_create_user")
def audit_first_roles(request: HttpRequest, user: User) -> None:
    from workforce.audit import record_role_change

    record_role_change(
        actor=request.user, user=user, before=set(), after=_role_names(user)
    )
