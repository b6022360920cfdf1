"""Fixtures for the notification tests: a mail record file and real Celery workers."""

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.notifications.worker import CeleryWorker


@pytest.fixture
def mail_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The file RecordingBackend writes to, in this process and in workers."""
    path = tmp_path / "sent.log"
    monkeypatch.setenv("SUSTAIN_TEST_MAIL_LOG", str(path))
    return path


@pytest.fixture
def worker_queue() -> Iterator[str]:
    """A queue of this test's own on the broker, deleted afterwards."""
    queue = f"sustain-test-{uuid.uuid4().hex[:12]}"
    yield queue
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    # The queue's exchange is named after it, so its binding key is ours alone.
    client.delete(queue, f"_kombu.binding.{queue}")
    client.close()


@pytest.fixture
def celery_worker(
    tmp_path: Path, mail_log: Path, worker_queue: str
) -> Iterator[Callable[..., CeleryWorker]]:
    """Start real ``celery worker`` processes on this test's queue and database.

    Call it as ``celery_worker(name="a", beat=False, **extra_env)``; every worker
    started is stopped when the test ends.
    """
    started: list[CeleryWorker] = []

    def start(
        name: str = "worker", beat: bool = False, **extra_env: str
    ) -> CeleryWorker:
        env = {"SUSTAIN_TEST_MAIL_LOG": str(mail_log), **extra_env}
        worker = CeleryWorker(
            name=name, queue=worker_queue, log_dir=tmp_path, env=env, beat=beat
        )
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop()


def wait_for(
    condition: Callable[[], bool], *, timeout: float, every: float = 0.1
) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass; say which."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()
