"""The service navigation: which links each role sees."""

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from accounts.roles import Role, roles_of


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[Role]


NAVIGATION = [
    NavItem("My training", "learning:my_training", frozenset(Role)),
    NavItem("My supervision", "supervision:my_supervision", frozenset(Role)),
    NavItem(
        "Supervisees", "supervision:supervisor_dashboard", frozenset({Role.SUPERVISOR})
    ),
    NavItem(
        "Team training",
        "learning:team_matrix",
        frozenset({Role.SUPERVISOR, Role.PROVIDER_MANAGER, Role.PLATFORM_ADMIN}),
    ),
    NavItem(
        "Organisation",
        "supervision:manager_view",
        frozenset({Role.PROVIDER_MANAGER, Role.PLATFORM_ADMIN}),
    ),
    NavItem(
        "Staff roster",
        "workforce:import_roster",
        frozenset({Role.PROVIDER_MANAGER, Role.PLATFORM_ADMIN}),
    ),
    NavItem(
        "Providers",
        "commissioning:dashboard",
        frozenset({Role.COMMISSIONER, Role.PROVIDER_MANAGER, Role.PLATFORM_ADMIN}),
    ),
    NavItem("Notifications", "notifications:list", frozenset(Role)),
]


def navigation(request: HttpRequest) -> dict[str, object]:
    """Give templates the navigation links for the signed-in user's roles."""
    user_roles = roles_of(request.user)
    items = []
    for item in NAVIGATION:
        if not (item.roles & user_roles):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue  # that part of the service is not installed
        items.append({"label": item.label, "url": url, "active": False})
    # One active item: the longest link the page's address starts with, so
    # /supervision/supervisees/ lights "Supervisees", not "My supervision" as well.
    matches = [item for item in items if request.path.startswith(item["url"])]
    if matches:
        max(matches, key=lambda item: len(str(item["url"])))["active"] = True
    return {"navigation": items}
