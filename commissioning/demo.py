"""The demo's commissioning history: a year of monthly snapshots."""

from datetime import date

from commissioning.services import backfill_snapshots


def seed(*, as_of: date, workforce: object) -> str:
    """Backfill 12 months of snapshots (idempotent); say what was added."""
    added = backfill_snapshots(as_of=as_of, months=12)
    return f"{added} monthly snapshots added for the last 12 months."
