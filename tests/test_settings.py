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

    def test_each_required_address_setting_stops_start_up_with_its_name(self):
        for name in ("SITE_URL", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS"):
            missing = production_env()
            del missing[name]
            empty = production_env(**{name: ""})

            for env in (missing, empty):
                result = run_manage("check", env=env)

                assert result.returncode != 0, name
                assert "ImproperlyConfigured" in result.stderr, name
                assert f"Set the {name} environment variable" in result.stderr

    def test_a_plain_http_site_url_stops_start_up(self):
        result = run_manage(
            "check", env=production_env(SITE_URL="http://sustain.example.org")
        )

        assert result.returncode != 0
        assert "https://" in result.stderr and "SITE_URL" in result.stderr


def dev_setting(name: str, **env: str) -> str:
    """Print one setting as the dev settings (make run's) compute it."""
    base = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"from config.settings import dev; print(dev.{name})",
        ],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


class TestDevSettings:
    def test_site_url_follows_the_port_make_run_serves_on(self):
        assert dev_setting("SITE_URL", PORT="8101") == "http://127.0.0.1:8101"
        assert dev_setting("SITE_URL") == "http://127.0.0.1:8000"

    def test_an_explicit_site_url_wins(self):
        assert (
            dev_setting("SITE_URL", PORT="8101", SITE_URL="https://demo.example")
            == "https://demo.example"
        )

    def test_the_demo_answers_on_loopback_names(self):
        hosts = dev_setting("ALLOWED_HOSTS")

        assert "127.0.0.1" in hosts and "localhost" in hosts
