"""The home page's "what needs your attention" panels, contributed by each app.

Each app that has something to say offers ``panels_for(user, as_of) -> list[Panel]``
in its ``dashboard`` module and is listed in :data:`PANEL_PROVIDERS`. The home page
shows the panels in order; an app with nothing to say returns an empty list.
"""

from dataclasses import dataclass, field
from datetime import date
from importlib import import_module
from typing import Any

from accounts.models import User

PANEL_PROVIDERS = [
    "notifications.dashboard",
    "learning.dashboard",
    "supervision.dashboard",
    "commissioning.dashboard",
    "workforce.dashboard",
]


@dataclass(frozen=True)
class Panel:
    """One panel on the home page: a heading, a template and what it needs."""

    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100


def panels_for(user: User, *, as_of: date) -> list[Panel]:
    """Collect the panels every installed app offers this user, in display order."""
    panels: list[Panel] = []
    for module_path in PANEL_PROVIDERS:
        try:
            module = import_module(module_path)
        except ModuleNotFoundError as error:
            if error.name != module_path:
                raise
            continue
        panels.extend(module.panels_for(user, as_of=as_of))
    return sorted(panels, key=lambda panel: panel.order)
