"""``manage.py run_scheduler`` (make run's scheduler) stops promptly on SIGTERM."""

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.notifications.worker import BASE_DIR
from tests.notifications.worker import test_database_url as database_url

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_stops_within_two_seconds_of_sigterm_without_a_crash():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": "",
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_scheduler", "--tick", "30"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Past the catch-up, waiting for its next 30-second tick.
        line = process.stdout.readline()
        assert "Scheduler running" in line, line + process.stderr.read()
        time.sleep(0.5)
        sent = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=10)
        took = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
    stderr = process.stderr.read()

    assert took < 2, f"took {took:.1f} s"
    assert code == 0, stderr
    assert "Traceback" not in stderr and "Segmentation" not in stderr, stderr
