"""Template context: the signed-in user's roles, for navigation."""

from django.conf import settings
from django.http import HttpRequest

from accounts import sso
from accounts.roles import Role, roles_of


def roles(request: HttpRequest) -> dict[str, object]:
    """Expose the user's roles as ``roles`` and ``Role`` for ``{% if %}`` checks."""
    user_roles = roles_of(request.user)
    return {
        "roles": user_roles,
        "is_practitioner": Role.PRACTITIONER in user_roles,
        "is_supervisor": Role.SUPERVISOR in user_roles,
        "is_provider_manager": Role.PROVIDER_MANAGER in user_roles,
        "is_commissioner": Role.COMMISSIONER in user_roles,
        "is_content_editor": Role.CONTENT_EDITOR in user_roles,
        "is_platform_admin": Role.PLATFORM_ADMIN in user_roles,
        # The demo notice: a privileged person signed in without a second factor.
        "two_factor_off": not settings.TWO_FACTOR_REQUIRED
        and bool(user_roles - {Role.PRACTITIONER}),
        # Callables, so only a page that shows them (the sign-in page) asks.
        "single_sign_on": sso.is_offered,
        "single_sign_on_by_email": sso.has_organisation_providers,
        "single_sign_on_name": settings.OIDC_PROVIDER_NAME,
    }
