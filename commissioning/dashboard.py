"""The home page panel for people who monitor providers."""

from datetime import date

from accounts.models import User
from accounts.roles import Role, has_role
from home.panels import Panel
from workforce.models import Organisation


def panels_for(user: User, *, as_of: date) -> list[Panel]:
    """Offer a link to the providers this user monitors, with how many there are."""
    if not has_role(
        user, Role.COMMISSIONER, Role.PROVIDER_MANAGER, Role.PLATFORM_ADMIN
    ):
        return []
    count = Organisation.objects.for_user(user, as_of=as_of).count()
    return [
        Panel(
            title="Contract monitoring",
            template="commissioning/panel.html",
            context={"providers": count},
            order=80,
        )
    ]
