"""Backup and restore: the database in pg_dump's custom format, the media as a tarball.

A backup is a folder with three files:

- ``database.dump``: ``pg_dump --format=custom``, taken inside one exported snapshot;
- ``media.tar.gz``: every file under ``MEDIA_ROOT`` (evidence uploads);
- ``manifest.json``: checksums of both, the row count of every table and the number
  of encrypted values (counted inside the dump's snapshot), the latest migration of
  each app, and a fingerprint of each encryption key.

The keys themselves are never written: supervision content in the dump is sealed
under ``FIELD_ENCRYPTION_KEYS``, so a stolen backup reads as ciphertext, and a restore
needs the keys from wherever the deployment keeps its secrets. A fingerprint is an
HMAC of a fixed label under the key, so it names a key without revealing it.

``restore`` checks the checksums and the keys before it touches anything, restores
into an empty database in one transaction, unpacks the media with tarfile's ``data``
filter (no absolute paths, ``..`` or links out of the folder), then verifies: every
table's count matches the manifest and every encrypted value decrypts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from supervision.fields import (
    ContentKeyError,
    EncryptedTextField,
    decrypt,
    sealed_models,
)

FORMAT = 1
DATABASE_FILE = "database.dump"
MEDIA_FILE = "media.tar.gz"
MANIFEST_FILE = "manifest.json"
FINGERPRINT_LABEL = b"sustain backup key fingerprint"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says what to do."""


@dataclass
class Verification:
    """What a restore found when it compared the restored site with the manifest."""

    tables: int = 0
    rows: int = 0
    decrypted: int = 0
    media_files: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# --- Helpers shared by both directions ---------------------------------------------


def key_fingerprint(key: str) -> str:
    digest = hmac.new(key.encode("ascii"), FINGERPRINT_LABEL, hashlib.sha256)
    return digest.hexdigest()[:16]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _require_postgresql() -> None:
    if connection.vendor != "postgresql":
        raise BackupError(
            "Backup and restore need PostgreSQL (DATABASE_URL=postgres://...). "
            "The embedded demo database is the single file db.sqlite3: stop "
            "`make run` and copy it."
        )


def _libpq_env() -> dict[str, str]:
    """The connection as libpq variables, so no password appears on a command line."""
    db = connection.settings_dict
    env = {
        key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ
    }
    values = {
        "PGHOST": db.get("HOST") or "",
        "PGPORT": str(db.get("PORT") or ""),
        "PGUSER": db.get("USER") or "",
        "PGPASSWORD": db.get("PASSWORD") or "",
        "PGDATABASE": db.get("NAME") or "",
    }
    env.update({key: value for key, value in values.items() if value})
    return env


def _run(args: list[str], what: str) -> None:
    if shutil.which(args[0]) is None:
        raise BackupError(
            f"{args[0]} is not installed: install PostgreSQL's client programs "
            "(Debian: postgresql-client) at the server's major version or newer."
        )
    result = subprocess.run(
        args, env=_libpq_env(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip() or result.stdout}")


def encrypted_columns() -> Iterator[tuple[str, str, str]]:
    """Every (label, table, column) that holds sealed content, whichever app owns it."""
    for model in sealed_models():
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, EncryptedTextField) and model_field.column:
                yield (
                    f"{model._meta.label}.{model_field.name}",
                    model._meta.db_table,
                    model_field.column,
                )


def inventory() -> dict[str, Any]:
    """Row counts of every table, and of non-empty sealed values."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        tables = {}
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT count(*) FROM {quote(table)}")
            tables[table] = cursor.fetchone()[0]
        sealed = {}
        for label, table, column in encrypted_columns():
            cursor.execute(
                f"SELECT count(*) FROM {quote(table)} WHERE {quote(column)} <> ''"
            )
            sealed[label] = cursor.fetchone()[0]
    return {"tables": tables, "encrypted_values": sealed}


def latest_migrations() -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder.Migration.objects.order_by(
        "app", "name"
    ).values_list("app", "name"):
        latest[app] = name
    return latest


def _media_files(root: Path) -> Iterator[Path]:
    if root.exists():
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                yield path


# --- Backup ------------------------------------------------------------------------


def backup(destination: Path, *, now: datetime | None = None) -> Path:
    """Write a backup folder under ``destination`` and return its path."""
    _require_postgresql()
    media_root = Path(settings.MEDIA_ROOT).resolve()
    destination = destination.resolve()
    if destination == media_root or media_root in destination.parents:
        raise BackupError(
            "Write backups outside MEDIA_ROOT: a backup inside it would copy itself."
        )
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    folder = destination / f"sustain-{stamp}"
    folder.mkdir(parents=True, mode=0o700)
    dump = folder / DATABASE_FILE

    # One snapshot for the dump and the counts, so they describe the same moment
    # even while the site, the worker and beat go on writing.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        _run(
            [
                "pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                f"--snapshot={snapshot}", f"--file={dump}",
            ],
            "pg_dump",
        )  # fmt: skip
        counts = inventory()
        migrations = latest_migrations()

    media = folder / MEDIA_FILE
    files = 0
    size = 0
    with tarfile.open(media, "w:gz") as archive:
        for path in _media_files(media_root):
            archive.add(path, arcname=str(path.relative_to(media_root)))
            files += 1
            size += path.stat().st_size

    manifest = {
        "format": FORMAT,
        "created_at": stamp,
        "database": {"file": DATABASE_FILE, "sha256": sha256_of(dump), **counts},
        "media": {
            "file": MEDIA_FILE,
            "sha256": sha256_of(media),
            "files": files,
            "bytes": size,
        },
        "migrations": migrations,
        "key_fingerprints": [
            key_fingerprint(k) for k in settings.FIELD_ENCRYPTION_KEYS
        ],
    }
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    return folder


# --- Restore -----------------------------------------------------------------------


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST_FILE
    if not path.is_file():
        raise BackupError(
            f"{folder} is not a Sustain backup: it has no {MANIFEST_FILE}."
        )
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"This backup's format is {manifest.get('format')!r}, not {FORMAT}."
        )
    for part in ("database", "media"):
        file = folder / manifest[part]["file"]
        if not file.is_file() or sha256_of(file) != manifest[part]["sha256"]:
            raise BackupError(
                f"{file.name} is missing or does not match its checksum: the backup "
                "is damaged or incomplete. Use another backup."
            )
    return manifest


def check_keys(manifest: dict[str, Any]) -> None:
    """Refuse before restoring if none of the backup's keys is configured."""
    have = {key_fingerprint(k) for k in settings.FIELD_ENCRYPTION_KEYS}
    wanted = manifest["key_fingerprints"]
    if not have.intersection(wanted):
        raise BackupError(
            "None of the keys in FIELD_ENCRYPTION_KEYS is one this backup was taken "
            f"with (fingerprints {', '.join(wanted)}). Supervision content would not "
            "decrypt: set the keys from the time of the backup, then restore."
        )


def check_code_knows_the_schema(manifest: dict[str, Any]) -> None:
    """Refuse a backup taken by a newer Sustain than the one restoring it."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = sorted(
        f"{app}.{name}"
        for app, name in manifest["migrations"].items()
        if (app, name) not in known
    )
    if unknown:
        raise BackupError(
            "This backup was taken by a newer version of Sustain: this code does not "
            f"have its migrations {', '.join(unknown)}. Restore with that version or "
            "a later one."
        )


def restore(folder: Path) -> Verification:
    """Restore ``folder`` into the (empty) configured database and MEDIA_ROOT."""
    _require_postgresql()
    folder = folder.resolve()
    manifest = read_manifest(folder)
    check_keys(manifest)
    check_code_knows_the_schema(manifest)
    with connection.cursor() as cursor:
        existing = connection.introspection.table_names(cursor)
    if existing:
        raise BackupError(
            f"The database {connection.settings_dict['NAME']!r} already holds "
            f"{len(existing)} tables. Restore into a new, empty database "
            "(createdb), then point DATABASE_URL at it."
        )
    media_root = Path(settings.MEDIA_ROOT)
    if any(_media_files(media_root)):
        raise BackupError(
            f"MEDIA_ROOT ({media_root}) is not empty: restore into an empty folder."
        )
    connection.close()  # pg_restore needs the database to itself for one transaction

    _run(
        [
            "pg_restore", "--exit-on-error", "--single-transaction", "--no-owner",
            "--no-privileges", f"--dbname={connection.settings_dict['NAME']}",
            str(folder / manifest["database"]["file"]),
        ],
        "pg_restore",
    )  # fmt: skip
    media_root.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(folder / manifest["media"]["file"], "r:gz") as archive:
            archive.extractall(media_root, filter="data")
    except tarfile.FilterError as error:
        raise BackupError(
            f"The media archive holds a path that leaves MEDIA_ROOT ({error}); "
            "unpacking stopped there. The database is restored; check the backup."
        ) from error
    return verify(manifest)


def verify(manifest: dict[str, Any]) -> Verification:
    """Compare the restored site with the manifest and open every sealed value."""
    result = Verification()
    found = inventory()
    expected_tables = manifest["database"]["tables"]
    for table, count in expected_tables.items():
        restored = found["tables"].get(table)
        if restored != count:
            result.problems.append(
                f"{table}: {count} rows backed up, {restored} restored"
            )
    result.tables = len(found["tables"])
    result.rows = sum(found["tables"].values())
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for label, table, column in encrypted_columns():
            cursor.execute(
                f"SELECT id, {quote(column)} FROM {quote(table)} "
                f"WHERE {quote(column)} <> ''"
            )
            for pk, stored in cursor.fetchall():
                try:
                    decrypt(stored)
                except ContentKeyError:
                    result.problems.append(f"{label} #{pk} does not decrypt")
                else:
                    result.decrypted += 1
    sealed = sum(manifest["database"]["encrypted_values"].values())
    if result.decrypted != sealed:
        result.problems.append(
            f"{result.decrypted} encrypted values opened, {sealed} backed up"
        )
    files = list(_media_files(Path(settings.MEDIA_ROOT)))
    result.media_files = len(files)
    size = sum(path.stat().st_size for path in files)
    media = manifest["media"]
    if (result.media_files, size) != (media["files"], media["bytes"]):
        result.problems.append(
            f"{media['files']} media files ({media['bytes']} bytes) backed up, "
            f"{result.media_files} ({size} bytes) restored"
        )
    return result
