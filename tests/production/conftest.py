"""The production stack, built once for the package: the production check and the
backup-and-restore drill both run against it (see ``stack.py``)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import IN_CI
from tests.production.stack import ProductionStack


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"the production check needs {what} (CI requires it)")
    pytest.skip(f"the production check needs {what}")


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductionStack]:
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres"):
        _missing("PostgreSQL: set DATABASE_URL")
    if not redis_url:
        _missing("Redis: set REDIS_URL")
    for program in ("nginx", "npm"):
        if not shutil.which(program) and not Path(f"/usr/sbin/{program}").exists():
            _missing(f"{program} on PATH")
    parts = urlsplit(database_url)
    own_database = parts._replace(path=parts.path + "_prodcheck").geturl()
    stack = ProductionStack(
        workdir=tmp_path_factory.mktemp("production"),
        database_url=own_database,
        redis_url=redis_url,
    )
    started = time.monotonic()
    stack.create_database()
    try:
        stack.build()
        built = time.monotonic()
        stack.start()
        print(
            f"\nproduction stack: built in {built - started:.0f} s, "
            f"serving after {time.monotonic() - started:.0f} s"
        )
        yield stack
    finally:
        stack.stop()
        stack.drop_database()
