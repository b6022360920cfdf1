"""Events other apps react to, without learning depending on them.

``completion_recorded`` is sent inside the transaction that created a completion, so
a receiver's writes (an outbox row, say) commit or roll back with it.
"""

from django.dispatch import Signal

# Sent with ``completion: Completion``, right after it is created.
completion_recorded = Signal()

# Sent with ``person_ids: list[int]`` and ``as_of: date`` after ``sync_training_status``
# updated those people's rows for an event (not the daily sweep, which maintains the
# flags itself), still inside the caller's transaction.
training_status_synced = Signal()

# Sent with ``module: ModulePage``, ``version: int``, ``due_by: date`` and
# ``people: list[StaffProfile]`` (each holding only completions of earlier versions)
# when an editor requires a newer version of a module, inside that transaction.
module_version_required = Signal()
