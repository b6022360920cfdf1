"""The one place an email's links are made: absolute, and to the page its reader needs.

A mail client has no current page, so every link starts with ``SITE_URL``. Which
page depends on who reads it:

=====================================  ===============================================
the person the message is about        their own training or supervision page
their supervisor                       training: that supervisee's training page;
                                       supervision: the supervisees page
a provider manager                     training: that person's training page;
                                       supervision: the organisation's supervision page
anyone else (a line manager who is     the home page: a person they may not see by
neither)                               name would answer 404
=====================================  ===============================================

Who may see whom is decided by :mod:`workforce.scoping` alone: :class:`LinkBook`
asks it once per recipient for the people a batch of messages is about.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django.utils import timezone

from accounts.roles import Role, roles_of
from config.links import absolute_url
from notifications.models import NotificationKind

if TYPE_CHECKING:
    from accounts.models import User
    from supervision.models import SessionBooking
    from workforce.models import StaffProfile

TRAINING_KINDS = frozenset(
    {
        NotificationKind.TRAINING_REMINDER_30,
        NotificationKind.TRAINING_REMINDER_7,
        NotificationKind.TRAINING_OVERDUE,
    }
)
SUPERVISION_KINDS = frozenset(
    {
        NotificationKind.SUPERVISION_DUE_SOON,
        NotificationKind.SUPERVISION_OVERDUE,
        NotificationKind.SUPERVISION_ESCALATED,
        NotificationKind.SUPERVISION_ESCALATED_TWICE,
        NotificationKind.SUPERVISION_CHECK,
    }
)


class LinkBook:
    """Links for a batch of messages, asking the scoping layer once per recipient.

    ``people`` are the ids the batch is about; whether a recipient may see one of
    them by name is looked up for all of them at the first question about that
    recipient.
    """

    def __init__(self, people: Iterable[int] = ()) -> None:
        self._people = set(people)
        self._visible: dict[int, set[int]] = {}
        self._roles: dict[int, frozenset[Role]] = {}
        self._urls: dict[tuple[str, tuple[object, ...]], str] = {}

    def _url(self, viewname: str, *args: object) -> str:
        """``absolute_url``, each address worked out once per batch (a go-live
        sweep links tens of thousands of messages to the same few pages)."""
        key = (viewname, args)
        if key not in self._urls:
            self._urls[key] = absolute_url(viewname, *args)
        return self._urls[key]

    def has_role(self, recipient: User, role: Role) -> bool:
        """Say whether ``recipient`` holds ``role`` (read once per recipient)."""
        if recipient.pk not in self._roles:
            self._roles[recipient.pk] = roles_of(recipient)
        return role in self._roles[recipient.pk]

    def can_see(self, recipient: User, person: StaffProfile) -> bool:
        """Say whether ``recipient`` may open ``person``'s page."""
        if person.user_id == recipient.pk:
            return True
        if recipient.pk not in self._visible:
            from workforce.models import StaffProfile

            ids = self._people | {person.pk}
            self._visible[recipient.pk] = set(
                StaffProfile.objects.for_user(recipient)
                .filter(pk__in=ids)
                .values_list("pk", flat=True)
            )
        return person.pk in self._visible[recipient.pk]

    def link(self, kind: str, *, recipient: User, person: StaffProfile | None) -> str:
        """Return the absolute link a sweep message of ``kind`` carries for its
        ``recipient`` about ``person`` (None for the weekly digest)."""
        if kind == NotificationKind.WEEKLY_DIGEST or person is None:
            return digest_link(recipient, has_role=self.has_role)
        about_self = person.user_id == recipient.pk
        if kind in TRAINING_KINDS:
            if about_self:
                return self._url("learning:my_training")
            if self.can_see(recipient, person):
                return self._url("learning:person_training", person.pk)
            return self._url("home:dashboard")
        if kind in SUPERVISION_KINDS:
            if about_self:
                return self._url("supervision:my_supervision")
            supervises = (
                person.supervisor is not None
                and person.supervisor.user_id == recipient.pk
            )
            if supervises and self.has_role(recipient, Role.SUPERVISOR):
                return self._url("supervision:supervisor_dashboard")
            if self.has_role(recipient, Role.PROVIDER_MANAGER) and self.can_see(
                recipient, person
            ):
                return self._url("supervision:manager_view")
            return self._url("home:dashboard")
        raise ValueError(f"no sweep link for {kind!r}")


def digest_link(
    recipient: User, *, has_role: Callable[[User, Role], bool] | None = None
) -> str:
    """The weekly summary's link: the organisation's page for a provider manager,
    the supervisees page for a supervisor, else home."""
    has_role = has_role or (lambda user, role: role in roles_of(user))
    if has_role(recipient, Role.PROVIDER_MANAGER):
        return absolute_url("supervision:manager_view")
    if has_role(recipient, Role.SUPERVISOR):
        return absolute_url("supervision:supervisor_dashboard")
    return absolute_url("home:dashboard")


def certificate_link(verification_id: object) -> str:
    """The link to a completion's certificate."""
    return absolute_url("learning:certificate", verification_id)


def session_link(session_id: int) -> str:
    """The link to a supervision session's record."""
    return absolute_url("supervision:session_detail", session_id)


def notifications_link() -> str:
    """The link to the reader's own list of notifications."""
    return absolute_url("notifications:list")


def booking_readers(booking: SessionBooking) -> list[tuple[StaffProfile, str]]:
    """The two people a booking's messages go to, each with the link for them."""
    return [
        (booking.supervisor, absolute_url("supervision:supervisor_dashboard")),
        (booking.supervisee, absolute_url("supervision:my_supervision")),
    ]


def booking_context(booking: SessionBooking) -> dict[str, object]:
    """What a booking's messages show: names, the local time, length and place."""
    return {
        "supervisor_name": booking.supervisor.full_name,
        "supervisee_name": booking.supervisee.full_name,
        "starts_at": timezone.localtime(booking.starts_at),
        "duration_minutes": booking.duration_minutes,
        "place": booking.place,
        "online_link": booking.online_link,
        "changed": booking.sequence > 0,
    }
