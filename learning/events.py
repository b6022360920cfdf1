"""Events other apps react to, without learning depending on them.

``completion_recorded`` is sent inside the transaction that created a completion, so
a receiver's writes (an outbox row, say) commit or roll back with it.
"""

from django.dispatch import Signal

# Sent with ``completion: Completion``, right after it is created.
completion_recorded = Signal()
