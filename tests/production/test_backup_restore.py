"""The backup-and-restore drill, as an operator runs it, on every commit.

The demo county is backed up from the running production stack (gunicorn, a worker and
beat all connected and writing) with ``manage.py backup``, then restored with
``manage.py restore`` into a fresh database and an empty media folder. The restore
checks that every table's count matches the backup and that every encrypted value
decrypts; the test checks the same from outside, and that a restore refuses the wrong
keys, a damaged file and a database that is not empty, before it changes anything.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from cryptography.fernet import Fernet

from tests.production.stack import ROOT, ProductionStack

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

EVIDENCE = "training-evidence/2026/12/drill-certificate.pdf"


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def database_url(stack: ProductionStack, name: str) -> str:
    return urlsplit(stack.database_url)._replace(path=f"/{name}").geturl()


def admin(stack: ProductionStack) -> psycopg.Connection:
    url = urlsplit(database_url(stack, "postgres"))._replace(scheme="postgresql")
    return psycopg.connect(url.geturl(), autocommit=True)


def table_count(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = 'public'"
        ).fetchone()[0]


@pytest.fixture(scope="module")
def backup(stack: ProductionStack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    evidence = stack.media_root / EVIDENCE
    evidence.parent.mkdir(parents=True, exist_ok=True)
    evidence.write_bytes(b"%PDF-1.7\n" + os.urandom(4096))
    destination = tmp_path_factory.mktemp("backups")

    result = manage(stack.env(), "backup", str(destination))

    assert result.returncode == 0, result.stdout + result.stderr
    (folder,) = destination.iterdir()
    return folder


@pytest.fixture
def fresh(stack: ProductionStack, tmp_path: Path):
    """An empty database and media folder to restore into, dropped afterwards."""
    name = f"{stack.database}_restored"
    with admin(stack) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    media = tmp_path / "media"
    yield database_url(stack, name), media
    with admin(stack) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_backup_holds_a_dump_the_media_and_counts_but_no_keys(stack, backup):
    manifest = json.loads((backup / "manifest.json").read_text())

    assert sorted(p.name for p in backup.iterdir()) == [
        "database.dump", "manifest.json", "media.tar.gz",
    ]  # fmt: skip
    assert oct(backup.stat().st_mode & 0o777) == "0o700"
    tables = manifest["database"]["tables"]
    assert tables["supervision_supervisionsession"] > 0
    assert tables["accounts_user"] > 0
    assert sum(manifest["database"]["encrypted_values"].values()) > 0
    assert manifest["media"]["files"] >= 1
    for path in backup.iterdir():
        content = path.read_bytes()
        for name, key in stack.keys.items():
            assert key.encode() not in content, f"{name} is in {path.name}"


def test_a_restore_into_a_fresh_database_matches_and_every_session_decrypts(
    stack, backup, fresh
):
    url, media = fresh
    manifest = json.loads((backup / "manifest.json").read_text())
    sealed = sum(manifest["database"]["encrypted_values"].values())

    result = manage(
        stack.env(DATABASE_URL=url, MEDIA_ROOT=str(media)), "restore", str(backup)
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"all {sealed} encrypted values decrypt" in result.stdout
    with psycopg.connect(url) as conn:
        for table in ("supervision_supervisionsession", "learning_completion",
                      "workforce_staffprofile", "wagtailcore_page"):  # fmt: skip
            count = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            assert count == manifest["database"]["tables"][table] > 0, table
    assert (media / EVIDENCE).read_bytes() == (stack.media_root / EVIDENCE).read_bytes()
    # The restored database is a working site: Django finds no unapplied migration.
    plan = manage(stack.env(DATABASE_URL=url), "migrate", "--check")
    assert plan.returncode == 0, plan.stdout + plan.stderr


def test_a_restore_with_other_keys_refuses_before_it_touches_the_database(
    stack, backup, fresh
):
    url, media = fresh
    other_keys = Fernet.generate_key().decode()

    env = stack.env(
        DATABASE_URL=url, MEDIA_ROOT=str(media), FIELD_ENCRYPTION_KEYS=other_keys
    )

    result = manage(env, "restore", str(backup))

    assert result.returncode != 0
    assert "None of the keys in FIELD_ENCRYPTION_KEYS" in result.stderr
    assert table_count(url) == 0
    assert not media.exists()


def test_a_damaged_dump_is_refused_by_its_checksum(stack, backup, fresh, tmp_path):
    url, media = fresh
    damaged = tmp_path / "damaged"
    shutil.copytree(backup, damaged)
    dump = damaged / "database.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))

    result = manage(
        stack.env(DATABASE_URL=url, MEDIA_ROOT=str(media)), "restore", str(damaged)
    )

    assert result.returncode != 0
    assert "does not match its checksum" in result.stderr
    assert table_count(url) == 0


def test_a_restore_never_overwrites_a_database_in_use(stack, backup, tmp_path):
    # The live production database, with the live site's keys.
    result = manage(
        stack.env(MEDIA_ROOT=str(tmp_path / "media")), "restore", str(backup)
    )

    assert result.returncode != 0
    assert "Restore into a new, empty database" in result.stderr
