"""Evidence of external training: which files are accepted, their names, their type.

A file is judged by its first bytes, never by its name: only PDF, PNG and JPEG are
accepted, up to ``EVIDENCE_MAX_MB``. Stored files get random names, and are served
only by the scoped download view, as attachments.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

# Leading bytes of each accepted format, with the extension and type it is stored as.
SIGNATURES = (
    (b"%PDF-", "pdf", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
)
CONTENT_TYPES = {ext: kind for _, ext, kind in SIGNATURES}
UNKNOWN_TYPE = "application/octet-stream"


def extension_of(file: Any) -> str | None:
    """Return "pdf", "png" or "jpg" from the file's first bytes, or None."""
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(16)
    file.seek(position)
    return next((ext for magic, ext, _ in SIGNATURES if head.startswith(magic)), None)


def max_bytes() -> int:
    return int(settings.EVIDENCE_MAX_MB) * 1024 * 1024


def validate_evidence(file: Any) -> None:
    """Refuse a file that is too large, or is not a PDF, PNG or JPEG by its contents."""
    if file.size > max_bytes():
        raise ValidationError(
            f"The file must be smaller than {settings.EVIDENCE_MAX_MB} MB.",
            code="too_large",
        )
    if extension_of(file) is None:
        raise ValidationError("The file must be a PDF, PNG or JPEG.", code="wrong_type")


def evidence_path(instance: Any, filename: str) -> str:
    """Store evidence under a random name: nothing of the uploaded name is kept."""
    ext = stored_extension(filename)
    return f"training-evidence/{timezone.now():%Y}/{uuid.uuid4().hex}.{ext}"


def stored_extension(name: str) -> str:
    """Return a stored file's extension if it is an accepted one, else "bin"."""
    base = name.rsplit("/", 1)[-1]
    ext = base.rsplit(".", 1)[-1].lower() if "." in base else ""
    return ext if ext in CONTENT_TYPES else "bin"


def content_type_of(name: str) -> str:
    """Return the type a stored evidence file is served as (by its stored name)."""
    return CONTENT_TYPES.get(stored_extension(name), UNKNOWN_TYPE)
