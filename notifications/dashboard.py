"""Home page panels: unread notifications, and open flags on the people one follows."""

from datetime import date

from django.db.models import Count, Window

from accounts.models import User
from accounts.roles import Role, has_role
from home.panels import Panel
from notifications.models import Notification
from notifications.views import visible_flags

FLAGS_SHOWN = 10


def panels_for(user: User, *, as_of: date) -> list[Panel]:
    """Offer the unread-notifications panel, and to supervisors and provider
    managers a list of the open flags on people they may see."""
    panels = []
    unread = Notification.objects.for_recipient(user).in_inbox().unread().count()
    if unread:
        panels.append(
            Panel(
                title="Notifications",
                template="notifications/panel.html",
                context={"unread": unread},
                order=10,
            )
        )
    if has_role(user, Role.SUPERVISOR, Role.PROVIDER_MANAGER):
        # The count of every open flag rides along with the first ten (a window
        # over the whole set, worked out before the LIMIT): one query, not two.
        shown = list(
            visible_flags(user)
            .select_related("person__user", "requirement__module")
            .annotate(total=Window(Count("pk")))
            .order_by("deadline", "pk")[:FLAGS_SHOWN]
        )
        if shown:
            panels.append(
                Panel(
                    title="Flags",
                    template="notifications/flags_panel.html",
                    context={"flags": shown, "total": shown[0].total},
                    order=11,
                )
            )
    return panels
