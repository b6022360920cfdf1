"""Events other apps react to, without supervision depending on them.

``session_finalised`` is sent inside the transaction that finalised a session, so a
receiver's writes (an outbox row, say) commit or roll back with it.
"""

from django.dispatch import Signal

# Sent with ``session: SupervisionSession`` and ``person_ids: list[int]`` (the
# supervisees at the session).
session_finalised = Signal()

# Sent with ``person_ids: list[int]`` and ``as_of: date`` after
# ``sync_supervision_status`` updated those people's rows for an event (not the daily
# sweep), still inside the caller's transaction.
supervision_status_synced = Signal()

# Sent with ``booking: SessionBooking``, ``method: str`` ("REQUEST" for a booking or
# a change, "CANCEL" for a cancellation), ``invitation: bytes`` (the iCalendar
# file both people are sent) and ``now: datetime`` (when it changed), inside the
# transaction that changed the booking.
booking_changed = Signal()
