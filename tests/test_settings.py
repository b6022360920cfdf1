"""Production settings: secure by default and loud about missing secrets."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key in {"PATH", "HOME", "LANG", "SYSTEMROOT"}
    }
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            env[key] = value.strip('"')
    env.update(overrides)
    return env


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


class TestProductionSettings:
    def test_check_deploy_passes_with_the_variables_in_env_example(self):
        result = run_manage(
            "check", "--deploy", "--fail-level", "WARNING", env=production_env()
        )

        assert result.returncode == 0, result.stdout + result.stderr

    def test_a_missing_secret_key_stops_start_up_with_its_name(self):
        env = production_env()
        del env["SECRET_KEY"]

        result = run_manage("check", env=env)

        assert result.returncode != 0
        assert "SECRET_KEY" in result.stderr
