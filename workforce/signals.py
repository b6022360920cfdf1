"""Events other apps react to without workforce depending on them.

``staff_changed`` is sent inside the transaction that created people or changed what
their training and supervision depend on (organisation, job role, start in role, left
on, long-term absence), so receivers can update status rows in the same transaction.
"""

from django.dispatch import Signal

# Sent with ``profile_ids: list[int]``.
staff_changed = Signal()
