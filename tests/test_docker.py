"""The Dockerfile and docker-compose.yml, checked by reading (Docker cannot run in CI).

Each test is an invariant a real deployment broke on before: secrets copied into the
image, an app user who could not write uploads, a healthcheck that production settings
answer with 400 or 301, services racing the migrations, beat's schedule in /tmp.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    """The final stage's instructions as (INSTRUCTION, arguments), lines joined."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    instructions = [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]
    last_from = max(i for i, (word, _) in enumerate(instructions) if word == "FROM")
    return instructions[last_from:]


def args_of(dockerfile, word: str) -> list[str]:
    return [args for instruction, args in dockerfile if instruction == word]


class TestDockerignore:
    @pytest.mark.parametrize(
        "path",
        [
            ".env",
            ".venv",
            "node_modules",
            "db.sqlite3",
            "media",
            ".git",
            "static_build",
        ],
    )
    def test_keeps_local_files_and_secrets_out_of_the_image(self, path):
        patterns = [
            line.strip()
            for line in (ROOT / ".dockerignore").read_text().splitlines()
            if line.strip() and not line.startswith("#")
        ]

        assert path in patterns or any(
            Path(path).match(p) for p in patterns if not p.startswith("!")
        )

    def test_the_image_still_gets_what_it_builds_from(self):
        text = (ROOT / ".dockerignore").read_text()

        for needed in ("requirements.lock", "pyproject.toml", "manage.py", "config"):
            assert not re.search(rf"^{re.escape(needed)}$", text, re.M), needed


class TestDockerfile:
    def test_installs_only_the_hashed_lock_then_the_project_without_deps(
        self, dockerfile
    ):
        runs = " ".join(args_of(dockerfile, "RUN"))

        assert (
            "pip install --no-cache-dir --require-hashes -r requirements.lock" in runs
        )
        assert "--no-deps -e ." in runs
        assert not re.search(r"pip install (?!.*--no-deps)[^&]*-e \.", runs)

    def test_runs_as_a_non_root_user_who_owns_the_media_folder(self, dockerfile):
        users = args_of(dockerfile, "USER")
        runs = " ".join(args_of(dockerfile, "RUN"))
        env = " ".join(args_of(dockerfile, "ENV"))
        media = re.search(r"MEDIA_ROOT=(\S+)", env).group(1)

        assert users and users[-1] not in {"root", "0"}
        assert re.search(rf"mkdir -p [^&]*{re.escape(media)}", runs)
        assert re.search(rf"chown -R {users[-1]}:\S+ [^&]*/srv/sustain", runs)
        assert any(media in volume for volume in args_of(dockerfile, "VOLUME"))

    def test_installs_the_system_libraries_weasyprint_needs_for_certificates(
        self, dockerfile
    ):
        step = next(a for a in args_of(dockerfile, "RUN") if "apt-get install" in a)
        packages = set(step.split())

        assert {"libpango-1.0-0", "libpangoft2-1.0-0"} <= packages
        assert any(package.startswith("fonts-") for package in packages)
        assert "--no-install-recommends" in packages
        assert "rm -rf /var/lib/apt/lists/*" in step

    def test_collectstatic_runs_with_every_required_setting(self, dockerfile):
        step = next(a for a in args_of(dockerfile, "RUN") if "collectstatic" in a)

        for name in ("SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "SITE_URL",
                     "DATABASE_URL", "REDIS_URL", "FIELD_ENCRYPTION_KEYS"):  # fmt: skip
            assert f"{name}=" in step, name
        assert "SITE_URL=https://" in step

    def test_has_a_healthcheck_that_asks_health(self, dockerfile):
        (healthcheck,) = args_of(dockerfile, "HEALTHCHECK")

        assert "config.healthcheck" in healthcheck

    def test_can_back_up_the_database_compose_runs(self, dockerfile, compose):
        # pg_dump refuses a server newer than itself: the image's client (Debian's
        # postgresql-client for the base image's release) must match compose's db.
        debian_postgresql = {"bookworm": 15, "trixie": 17}
        (base,) = [a for word, a in dockerfile if word == "FROM"]
        release = re.search(r"-(bookworm|trixie)\b", base).group(1)
        runs = " ".join(args_of(dockerfile, "RUN"))
        db_major = int(
            re.match(r"postgres:(\d+)", compose["services"]["db"]["image"])[1]
        )

        assert re.search(r"apt-get install [^&]*postgresql-client", runs)
        assert db_major == debian_postgresql[release]


class TestCompose:
    def test_a_one_shot_migrate_runs_before_web_worker_and_beat(self, compose):
        services = compose["services"]
        migrate = services["migrate"]

        assert "migrate" in " ".join(migrate["command"])
        assert migrate["restart"] == "no"
        for name in APP_SERVICES:
            depends = services[name]["depends_on"]
            assert depends["migrate"]["condition"] == "service_completed_successfully"
            assert depends["db"]["condition"] == "service_healthy"
            assert "migrate" not in " ".join(services[name]["command"])

    def test_uploads_live_in_a_volume_where_the_image_puts_media_root(self, compose):
        for name in ("web", "worker"):
            service = compose["services"][name]
            media_root = service["environment"]["MEDIA_ROOT"]
            assert f"media:{media_root}" in service["volumes"], name
        assert "media" in compose["volumes"]
        assert "MEDIA_ROOT=/srv/sustain/media" in (ROOT / "Dockerfile").read_text()

    def test_beat_is_single_and_keeps_its_schedule_in_a_volume(self, compose):
        beat = compose["services"]["beat"]
        schedule = next(a for a in beat["command"] if a.startswith("--schedule="))
        folder = str(Path(schedule.split("=", 1)[1]).parent)

        assert not folder.startswith("/tmp")
        assert any(v.endswith(f":{folder}") for v in beat["volumes"])
        assert beat["deploy"]["replicas"] == 1

    def test_the_web_healthcheck_uses_the_probe_production_answers(self, compose):
        web = compose["services"]["web"]

        assert web["healthcheck"]["test"] == [
            "CMD",
            "python",
            "-m",
            "config.healthcheck",
        ]
        assert "0.0.0.0:8000" in " ".join(web["command"])
        for name in ("migrate", "beat"):
            assert compose["services"][name]["healthcheck"] == {"disable": True}
        assert "inspect ping" in " ".join(
            compose["services"]["worker"]["healthcheck"]["test"]
        )

    def test_every_app_service_uses_the_production_settings(self, compose):
        for name in (*APP_SERVICES, "migrate"):
            env = compose["services"][name]["environment"]
            assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production"


class TestHealthcheckProbe:
    """The probe's Host must be one ALLOWED_HOSTS accepts (the production check runs
    it against a real gunicorn with production settings)."""

    @pytest.mark.parametrize(
        ("allowed", "host"),
        [
            ("sustain.example.org", "sustain.example.org"),
            (" sustain.example.org , other.example", "sustain.example.org"),
            (".example.org", "example.org"),
            ("*", "localhost"),
            ("", "localhost"),
        ],
    )
    def test_asks_with_a_host_allowed_hosts_accepts(self, allowed, host):
        from config.healthcheck import probe_host

        assert probe_host(allowed) == host

    def test_exits_non_zero_when_nothing_answers(self):
        result = subprocess.run(
            [sys.executable, "-m", "config.healthcheck"],
            cwd=ROOT,
            env={"PORT": "9", "ALLOWED_HOSTS": "sustain.example.org"},
            capture_output=True,
            text=True,
            timeout=30,
        )

        assert result.returncode == 1
        assert "no answer" in result.stdout
