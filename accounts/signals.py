"""Keep the role groups and their permissions in step with the code."""

from typing import Any

from django.apps import apps
from django.contrib.auth.models import Group, Permission

from accounts.permissions import ROLE_PERMISSIONS
from accounts.roles import Role


def ensure_role_groups(**kwargs: Any) -> None:
    """Create each role's group and give it exactly the permissions listed for it.

    ``post_migrate`` is sent once per app; permissions exist for every app only once
    the last one has been handled, so the work is done then.
    """
    with_models = [app for app in apps.get_app_configs() if app.models_module]
    if kwargs.get("app_config") is not with_models[-1]:
        return
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        wanted = ROLE_PERMISSIONS.get(role, [])
        permissions = []
        for dotted in wanted:
            app_label, codename = dotted.split(".", 1)
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:
                permissions.append(permission)
        group.permissions.set(permissions)
