"""Commands and workers keep no DEBUG query log, so long jobs don't grow with it."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

COUNT_LOG = (
    "from django.conf import settings; from django.db import connection\n"
    "for _ in range(50): connection.cursor().execute('SELECT 1')\n"
    "print(settings.DEBUG, len(connection.queries_log))"
)


def run(args, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'log.sqlite3'}",
        "DEBUG": "true",
    }
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def test_a_management_command_with_debug_on_keeps_no_query_log(tmp_path):
    assert run(["manage.py", "shell", "-c", COUNT_LOG], tmp_path) == "True 0"


def test_without_the_switch_debug_would_have_kept_them(tmp_path):
    # The same queries in a plain Django process: the log the switch removes.
    code = "import django; django.setup()\n" + COUNT_LOG
    assert run(["-c", code], tmp_path) == "True 50"


def test_a_worker_or_beat_starting_stops_the_query_log(tmp_path):
    code = (
        "import django; django.setup()\n"
        "from config.celery import app\n"
        "from celery.signals import worker_init\n"
        "worker_init.send(sender=None)\n" + COUNT_LOG
    )
    assert run(["-c", code], tmp_path) == "True 0"
