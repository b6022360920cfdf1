"""The home page panel: how many notifications the user has not yet read."""

from datetime import date

from accounts.models import User
from home.panels import Panel
from notifications.models import Notification


def panels_for(user: User, *, as_of: date) -> list[Panel]:
    """Offer an unread-notifications panel when the user has any unread."""
    unread = Notification.objects.for_recipient(user).unread().count()
    if not unread:
        return []
    return [
        Panel(
            title="Notifications",
            template="notifications/panel.html",
            context={"unread": unread},
            order=10,
        )
    ]
