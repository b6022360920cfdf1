"""A real Celery worker process for the relay tests, against the test database.

pytest-django creates ``test_<name>``; the worker is pointed at that database through
``DATABASE_URL`` and reads only its own queue, so nothing else on the broker is
touched and nothing it leaves behind is picked up by anyone else.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent.parent
READY_TIMEOUT_SECONDS = 30


def test_database_url() -> str:
    """Return a DATABASE_URL for the database this test process is using."""
    db = connection.settings_dict
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


class CeleryWorker:
    """One ``celery worker --pool=solo`` subprocess reading one queue."""

    def __init__(
        self,
        *,
        name: str,
        queue: str,
        log_dir: Path,
        env: dict[str, str],
        beat: bool = False,
    ):
        self.name = name
        # With beat, the worker also runs the beat schedule (``-B``), publishing to
        # this test's queue: worker_settings keeps only the jobs the test names.
        self.beat = beat
        self.queue = queue
        self.log_path = log_dir / f"{name}.log"
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> CeleryWorker:
        """Start the worker and wait until it is consuming its queue."""
        env = {
            **os.environ,
            **self.env,
            "SUSTAIN_TEST_QUEUE": self.queue,
            "DJANGO_SETTINGS_MODULE": "tests.notifications.worker_settings",
            "DATABASE_URL": test_database_url(),
            "CONN_MAX_AGE": "0",
            "PYTHONUNBUFFERED": "1",
        }
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "-Q",
                self.queue,
                "-n",
                f"{self.name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
                *(
                    ["-B", "-s", str(self.log_path.with_suffix(".schedule"))]
                    if self.beat
                    else []
                ),
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.output()}")
            if " ready." in self.output():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"worker not ready in time:\n{self.output()}")

    def output(self) -> str:
        return (
            self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        )

    def kill(self) -> None:
        """SIGKILL the worker, as the OOM killer or a lost host would."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """Stop the worker (warm shutdown), killing it if it does not go quietly."""
        if not self.process or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
