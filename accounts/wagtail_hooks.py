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
