"""Keyed pseudonyms for the check-in score records (see ``CheckInScoreRecord``).

A pseudonym is HMAC-SHA256 of an id under a key only the server holds:
``settings.CHECK_IN_PSEUDONYM_KEY`` if set, else a key derived from ``SECRET_KEY``.
Without the key a pseudonym cannot be turned back into an id, nor checked against a
guessed one. Keep the key stable (set a dedicated one if ``SECRET_KEY`` may rotate):
a new key gives every person and check-in a new pseudonym, so the records must then
be rebuilt with ``backfill_check_in_scores --rebuild``, which cannot bring back the
records of check-ins whose scores retention has already purged.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

# Domain separation: the same id never gives the same pseudonym for two purposes.
RESPONDENT = b"sustain.check-in.respondent:"
SOURCE = b"sustain.check-in.source:"


def _key() -> bytes:
    dedicated = getattr(settings, "CHECK_IN_PSEUDONYM_KEY", "")
    if dedicated:
        return dedicated.encode("utf-8")
    return hmac.new(
        settings.SECRET_KEY.encode("utf-8"),
        b"sustain.check-in.pseudonym-key",
        hashlib.sha256,
    ).digest()


def _pseudonym(purpose: bytes, pk: int) -> str:
    return hmac.new(
        _key(), purpose + str(int(pk)).encode("ascii"), hashlib.sha256
    ).hexdigest()


def respondent_key(person_id: int) -> str:
    """Return the person's pseudonym: the same for every check-in they give."""
    return _pseudonym(RESPONDENT, person_id)


def source_key(attendance_id: int) -> str:
    """Return the check-in's pseudonym, so its record is upserted or deleted once."""
    return _pseudonym(SOURCE, attendance_id)
