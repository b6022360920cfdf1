"""Encrypted model fields for supervision content.

Values are sealed with Fernet (AES-128-CBC with HMAC) under the keys in
``settings.FIELD_ENCRYPTION_KEYS``, newest first: the newest key encrypts, any key may
decrypt, so keys rotate without downtime (see the ``rotate_keys`` command). A value
that no key opens raises :class:`ContentKeyError`: a page must fail loudly rather than
show ciphertext or an empty record as if nothing had been written.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.expressions import Combinable

# Every stored token starts with this, so an unencrypted value is never mistaken
# for one and an empty value stays empty (purged content is stored as "").
PREFIX = "fernet:"


class ContentKeyError(Exception):
    """Stored content could not be decrypted with any configured key."""


@lru_cache(maxsize=4)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must hold at least one key.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(
            "Each FIELD_ENCRYPTION_KEYS entry must be a url-safe base64 32-byte key."
        ) from error


def content_cipher() -> MultiFernet:
    """Return the cipher for the configured keys (newest first)."""
    return _multifernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    """Seal a string with the newest key; an empty string stays empty."""
    if plaintext == "":
        return ""
    token = content_cipher().encrypt(plaintext.encode("utf-8"))
    return PREFIX + token.decode("ascii")


def decrypt(stored: str) -> str:
    """Open a stored value, or raise ContentKeyError when no key opens it."""
    if stored == "":
        return ""
    if not stored.startswith(PREFIX):
        raise ContentKeyError("Stored supervision content is not encrypted.")
    try:
        return (
            content_cipher()
            .decrypt(stored[len(PREFIX) :].encode("ascii"))
            .decode("utf-8")
        )
    except InvalidToken as error:
        raise ContentKeyError(
            "Supervision content cannot be decrypted with the configured "
            "FIELD_ENCRYPTION_KEYS. Restore the key it was written with."
        ) from error


def rotate(stored: str) -> str:
    """Re-seal a stored value under the newest key (empty stays empty)."""
    if stored == "":
        return ""
    decrypt(stored)  # raise the clear error, not InvalidToken, for a lost key
    token = content_cipher().rotate(stored[len(PREFIX) :].encode("ascii"))
    return PREFIX + token.decode("ascii")


class EncryptedTextField(models.TextField):
    """Text stored encrypted; Python code only ever sees the plaintext."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return self.from_plaintext(decrypt(value))

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return encrypt(self.to_plaintext(value))

    def from_plaintext(self, text: str) -> Any:
        return text

    def to_plaintext(self, value: Any) -> str:
        return str(value)

    def get_lookup(self, lookup_name: str) -> Any:
        # Ciphertext cannot be compared; only "is empty" and "is null" make sense.
        if lookup_name not in {"exact", "isnull"}:
            return None
        return super().get_lookup(lookup_name)


class EncryptedIntegerField(EncryptedTextField):
    """A small integer (a check-in score) stored encrypted; blank means not given."""

    # For django-stubs: Python code writes and reads an int (or None) here, not the
    # text the stubs give TextField, hence the ignores.
    _pyi_private_set_type: int | Combinable | None  # type: ignore[assignment]
    _pyi_private_get_type: int | None  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("null", True)
        kwargs["default"] = None
        super().__init__(*args, **kwargs)

    def from_plaintext(self, text: str) -> int | None:
        return int(text) if text else None

    def to_plaintext(self, value: Any) -> str:
        return "" if value in (None, "") else str(int(value))

    def get_prep_value(self, value: Any) -> Any:
        if value in (None, ""):
            return None
        return super().get_prep_value(value)

    def to_python(self, value: Any) -> int | None:
        if value in (None, ""):
            return None
        return int(value)

    def formfield(self, **kwargs: Any) -> Any:
        from django import forms

        return forms.IntegerField(required=False, **kwargs)


def encrypt_plaintext_column(connection: Any, table: str, column: str) -> int:
    """Seal the values of a column that held plaintext (for a data migration).

    Values already sealed and empty values are left alone, so running it again
    changes nothing. Returns the values sealed.
    """
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, {quote(column)} FROM {quote(table)} "
            f"WHERE {quote(column)} <> '' AND {quote(column)} NOT LIKE %s",
            [PREFIX + "%"],
        )
        rows = cursor.fetchall()
        for pk, value in rows:
            cursor.execute(
                f"UPDATE {quote(table)} SET {quote(column)} = %s WHERE id = %s",
                [encrypt(value), pk],
            )
    return len(rows)


def sealed_models() -> list[type[models.Model]]:
    """Every installed model with an encrypted field, whichever app owns it: the one
    list that key rotation and the backup check both walk, so a new sealed field
    cannot be left out of either."""
    from django.apps import apps

    return [
        model
        for model in apps.get_models()
        if any(isinstance(f, EncryptedTextField) for f in model._meta.concrete_fields)
    ]
