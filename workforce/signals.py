"""Events other apps react to without workforce depending on them.

``staff_changed`` is sent inside the transaction that created people or changed what
their training and supervision depend on (organisation, job role, start in role, left
on, long-term absence), so receivers can update status rows in the same transaction.
"""

from django.dispatch import Signal

# Sent with ``profile_ids: list[int]``.
staff_changed = Signal()

# Sent by a roster check (inside the transaction it will roll back) with
# ``person_ids: list[int]`` and ``as_of: date``: a receiver answers with what the
# first daily sweep after the import would email, as
# ``{"send": {kind: count}, "hold": {kind: count}, "labels": {kind: label}}``.
roster_preview_requested = Signal()
