"""Sustain as it runs in production, on loopback, for the production check.

nginx (Debian's) stands in for the TLS-terminating proxy: it listens on plain HTTP
and tells gunicorn the request came over HTTPS (``X-Forwarded-Proto: https``) and from
whom (``X-Forwarded-For``). Behind it: gunicorn with the production settings and the
static files ``collectstatic`` wrote with the manifest storage, one Celery worker and a
single beat on Redis, all on a PostgreSQL database of its own with the demo county.
Emails go to files (Django's file-based backend) that the test reads.

Every process runs this checkout's code (``sys.executable``, ``cwd`` the repository)
with an environment built here from nothing, never the test process's own settings.
"""

from __future__ import annotations

import email
import email.policy
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import psycopg
from cryptography.fernet import Fernet

from config import healthcheck

ROOT = Path(__file__).resolve().parent.parent.parent
SITE_HOST = "sustain.test"
SITE_URL = f"https://{SITE_HOST}"
ONE_YEAR = 365 * 24 * 60 * 60
START_TIMEOUT = 120


class CheckFailed(AssertionError):
    """The production stack did something a real deployment must not."""


# --- Processes --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"({path.name}: nothing written)"
    text = path.read_text(errors="replace").splitlines()
    return f"--- last lines of {path.name}:\n" + "\n".join(text[-lines:])


@dataclass
class Service:
    """A long-running process of the stack, in its own process group."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 10) -> None:
        if not self.alive():
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=timeout)


@dataclass
class ProductionStack:
    """Build, start and stop the stack; ``start`` returns once it serves pages."""

    workdir: Path
    database_url: str
    redis_url: str
    services: dict[str, Service] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.static_root = self.workdir / "static"
        self.media_root = self.workdir / "media"
        self.email_dir = self.workdir / "emails"
        self.logs = self.workdir / "logs"
        for folder in (self.media_root, self.email_dir, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        self.gunicorn_port = free_port()
        self.nginx_port = free_port()
        self.database = urlsplit(self.database_url).path.lstrip("/")
        self.keys = {
            "SECRET_KEY": "prodcheck-" + Fernet.generate_key().decode() * 2,
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "CHECK_IN_PSEUDONYM_KEY": Fernet.generate_key().decode(),
        }

    # The environment an operator would set, and nothing from the test process.
    def env(self, **overrides: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if key in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"}
        }
        env.update(
            {
                **self.keys,
                "DJANGO_SETTINGS_MODULE": "config.settings.production",
                "ALLOWED_HOSTS": SITE_HOST,
                "CSRF_TRUSTED_ORIGINS": SITE_URL,
                "SITE_URL": SITE_URL,
                "DATABASE_URL": self.database_url,
                "REDIS_URL": self.redis_url,
                # A queue of its own, so nothing else on this Redis reaches the worker.
                "CELERY_QUEUE": f"prodcheck-{os.getpid()}",
                # The seeded demo accounts sign in with a password only, as the demo
                # does; two-factor has its own tests (tests/accounts).
                "TWO_FACTOR_REQUIRED": "false",
                "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": str(self.email_dir),
                "DEFAULT_FROM_EMAIL": f"Sustain <no-reply@{SITE_HOST}>",
                "STATIC_ROOT": str(self.static_root),
                "MEDIA_ROOT": str(self.media_root),
                "PROXY_COUNT": "1",
                # The relay's beat tick, shortened from a minute so the check is quick.
                "NOTIFICATION_RELAY_SECONDS": "2",
                "LOG_LEVEL": "WARNING",
                "PYTHONUNBUFFERED": "1",
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        env.update(overrides)
        return env

    def run(self, name: str, args: list[str], env: dict[str, str]) -> None:
        """Run a one-shot step to completion; fail with its output if it fails."""
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            result = subprocess.run(
                args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                timeout=300, check=False,
            )  # fmt: skip
        if result.returncode != 0:
            raise CheckFailed(f"{name} exited {result.returncode}\n{tail(log)}")

    def spawn(self, name: str, args: list[str], env: dict[str, str]) -> Service:
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        service = Service(name=name, process=process, log=log)
        self.services[name] = service
        return service

    def manage(self, *args: str) -> list[str]:
        return [sys.executable, "manage.py", *args]

    # --- Steps ------------------------------------------------------------------

    def create_database(self) -> None:
        with psycopg.connect(self._admin_url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.database}"')

    def drop_database(self) -> None:
        with psycopg.connect(self._admin_url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def _admin_url(self) -> str:
        parts = urlsplit(self.database_url)
        return parts._replace(scheme="postgresql", path="/postgres").geturl()

    def build(self) -> None:
        """Migrate (in the background), build the assets, collect static files,
        then load the demo county, as a deploy does before it serves."""
        migrate = self.spawn(
            "migrate", self.manage("migrate", "--no-input", "-v0"), self.env()
        )
        self.run("npm-build", ["npm", "run", "--silent", "build"], self.env())
        self.run(
            "collectstatic",
            self.manage("collectstatic", "--no-input", "-v0"),
            self.env(),
        )
        if migrate.process.wait(timeout=300) != 0:
            raise CheckFailed(f"migrate failed\n{tail(migrate.log)}")
        del self.services["migrate"]
        # seed_demo refuses production settings: the dev settings load the same
        # database, with the production keys so that what it encrypts decrypts.
        self.run(
            "seed_demo",
            self.manage("seed_demo", "--quiet-logins"),
            self.env(
                DJANGO_SETTINGS_MODULE="config.settings.dev",
                REDIS_URL="",
                EMAIL_FILE_PATH=str(self.workdir / "seed-emails"),
            ),
        )

    def start(self) -> None:
        env = self.env()
        self.spawn(
            "gunicorn",
            [
                sys.executable, "-m", "gunicorn", "config.wsgi:application",
                "--bind", f"127.0.0.1:{self.gunicorn_port}", "--workers", "2",
                "--timeout", "60", "--access-logfile", "-", "--error-logfile", "-",
            ],
            env,
        )  # fmt: skip
        self.spawn(
            "worker",
            [
                sys.executable, "-m", "celery", "-A", "config", "worker",
                "--concurrency=1", "--loglevel=INFO", "-n", "prodcheck@%h",
                "--without-gossip", "--without-mingle",
            ],
            env,
        )  # fmt: skip
        (self.workdir / "beat").mkdir(exist_ok=True)
        self.spawn(
            "beat",
            [
                sys.executable, "-m", "celery", "-A", "config", "beat",
                "--loglevel=INFO",
                f"--schedule={self.workdir / 'beat' / 'celerybeat-schedule'}",
            ],
            env,
        )  # fmt: skip
        # The proxy opens once gunicorn answers, as a load balancer waits for its
        # backend's healthcheck, so any 5xx nginx logs later is the site's.
        self.wait_until(self.web_answers, "gunicorn to answer /health/")
        self.spawn("nginx", self._nginx_command(), env)
        self.wait_until(self.proxy_answers, "nginx to answer /health/")
        self.wait_until(self.worker_ready, "the Celery worker to be ready")

    def web_answers(self) -> bool:
        return healthcheck.check(port=self.gunicorn_port, host=SITE_HOST, timeout=60)[0]

    def proxy_answers(self) -> bool:
        try:
            return Browser(self.nginx_port).get("/health/").status == 200
        except OSError:  # nginx is not listening yet
            return False

    def worker_ready(self) -> bool:
        return "ready." in self.services["worker"].log.read_text(errors="replace")

    def wait_until(self, ready: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            for service in self.services.values():
                if not service.alive():
                    raise CheckFailed(f"{service.name} stopped\n{tail(service.log)}")
            if ready():
                return
            time.sleep(0.5)
        logs = "\n".join(tail(s.log) for s in self.services.values())
        raise CheckFailed(f"waited {START_TIMEOUT} s for {what}\n{logs}")

    def stop(self) -> None:
        for name in ("nginx", "beat", "worker", "gunicorn", "migrate"):
            if name in self.services:
                self.services.pop(name).stop()

    def reload_web(self) -> None:
        """Restart gunicorn's workers (SIGHUP): they read the static manifest anew."""
        gunicorn = self.services["gunicorn"]
        before = gunicorn.log.read_text(errors="replace").count("Booting worker")
        gunicorn.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            text = gunicorn.log.read_text(errors="replace")
            if text.count("Booting worker") >= before + 2:
                break
            time.sleep(0.2)
        else:
            raise CheckFailed(f"gunicorn did not restart workers\n{tail(gunicorn.log)}")
        self.wait_until(self.web_answers, "gunicorn's new workers to answer")

    # --- nginx ------------------------------------------------------------------

    @property
    def access_log(self) -> Path:
        return self.logs / "nginx-access.log"

    def _nginx_command(self) -> list[str]:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        prefix = self.workdir / "nginx"
        for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (prefix / temp).mkdir(parents=True, exist_ok=True)
        conf = prefix / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                user="user root;" if os.geteuid() == 0 else "",
                prefix=prefix,
                logs=self.logs,
                host=SITE_HOST,
                listen=self.nginx_port,
                upstream=self.gunicorn_port,
            )
        )
        error_log = self.logs / "nginx-error.log"
        return [nginx, "-p", str(prefix), "-e", str(error_log), "-c", str(conf),
                "-g", "daemon off;"]  # fmt: skip

    def server_errors(self) -> list[str]:
        """Every request nginx logged with a 5xx answer."""
        if not self.access_log.exists():
            return []
        return [
            line
            for line in self.access_log.read_text(errors="replace").splitlines()
            if re.match(r"5\d\d ", line)
        ]

    # --- Email ------------------------------------------------------------------

    def emails(self) -> list[EmailMessage]:
        """Every email the file-based backend has written, oldest file first."""
        messages: list[EmailMessage] = []
        for path in sorted(self.email_dir.glob("*.log"), key=os.path.getmtime):
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if chunk.strip():
                    message = email.message_from_bytes(
                        chunk.lstrip(), policy=email.policy.default
                    )
                    assert isinstance(message, EmailMessage)
                    messages.append(message)
        return messages


# One server, plain HTTP on loopback, as a TLS-terminating proxy forwards it.
NGINX_CONF = """
{user}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {logs}/nginx-error.log warn;
events {{ worker_connections 128; }}
http {{
    log_format check '$status $request_method $request_uri $upstream_status';
    access_log {logs}/nginx-access.log check;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    client_max_body_size 20m;
    upstream sustain {{ server 127.0.0.1:{upstream}; }}
    server {{
        listen 127.0.0.1:{listen};
        server_name {host};
        location / {{
            proxy_pass http://sustain;
            proxy_redirect off;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"""


# --- A small browser: cookies, redirects, forms -------------------------------------


@dataclass
class Response:
    method: str
    path: str
    status: int
    headers: http.client.HTTPMessage
    body: str

    def header(self, name: str) -> str:
        return self.headers.get(name, "")


class Page(HTMLParser):
    """The forms and the static files a page refers to."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, object]] = []
        self.assets: list[str] = []
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(
                {"action": a.get("action", ""), "method": a.get("method", "get"),
                 "fields": {}, "selects": {}}
            )  # fmt: skip
        elif tag == "input" and self.forms and a.get("name"):
            if a.get("type") not in {"checkbox", "radio", "submit"}:
                self._fields()[a["name"]] = a.get("value", "")
        elif tag == "select" and self.forms and a.get("name"):
            self._select = a["name"]
            self._selects().setdefault(self._select, [])
        elif tag == "option" and self._select and a.get("value"):
            self._selects()[self._select].append(a["value"])
        elif (tag == "link" and a.get("href")) or (
            tag in {"script", "img"} and a.get("src")
        ):
            self.assets.append(a.get("href") or a.get("src", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None

    def _fields(self) -> dict[str, str]:
        fields = self.forms[-1]["fields"]
        assert isinstance(fields, dict)
        return fields

    def _selects(self) -> dict[str, list[str]]:
        selects = self.forms[-1]["selects"]
        assert isinstance(selects, dict)
        return selects


class Browser:
    """One visitor behind the proxy: keeps cookies, follows redirects, and treats
    any 5xx as a failed check. Cookies marked Secure are kept, as a browser on the
    HTTPS side of the proxy would."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, *, form: dict[str, str] | None = None,
        referer: str = "", follow: bool = True,
    ) -> Response:  # fmt: skip
        for _ in range(10):
            response = self._send(method, path, form=form, referer=referer)
            location = response.header("Location")
            if not (follow and response.status in {301, 302, 303, 307} and location):
                return response
            if location.startswith("http://"):
                raise CheckFailed(
                    f"{method} {path} redirected to plain HTTP: {location}"
                )
            target = urljoin(SITE_URL + path, location)
            if not target.startswith(SITE_URL + "/"):
                raise CheckFailed(
                    f"{method} {path} redirected off the site: {location}"
                )
            referer, path = SITE_URL + path, target[len(SITE_URL) :]
            method, form = "GET", None
        raise CheckFailed(f"too many redirects from {path}")

    def get(self, path: str, **kwargs: object) -> Response:
        return self.request("GET", path, **kwargs)  # type: ignore[arg-type]

    def submit(
        self, page: Response, form: dict[str, object], **values: str
    ) -> Response:
        """Post a form the page showed, with its hidden fields and these values."""
        fields = {**form["fields"], **values}  # type: ignore[dict-item]
        action = urljoin(page.path, str(form["action"]) or page.path)
        return self.request("POST", action, form=fields, referer=SITE_URL + page.path)

    def _send(
        self, method: str, path: str, *, form: dict[str, str] | None, referer: str
    ) -> Response:
        headers = {"Host": SITE_HOST, "User-Agent": "sustain-production-check"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if referer:
            headers["Referer"] = referer
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            raw = connection.getresponse()
            content = raw.read()
        finally:
            connection.close()
        for cookie in raw.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value and "max-age=0" not in cookie.lower():
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        response = Response(
            method=method,
            path=path,
            status=raw.status,
            headers=raw.headers,
            body=content.decode("utf-8", "replace"),
        )
        if response.status >= 500:
            raise CheckFailed(f"{method} {path} answered {response.status}")
        return response


# --- The checks -------------------------------------------------------------------


def sign_in(browser: Browser, username: str, password: str) -> Response:
    """Sign in through the proxy; return the page the sign-in lands on."""
    login = browser.get("/accounts/login/")
    if login.status != 200:
        raise CheckFailed(f"the sign-in page answered {login.status}")
    form = next(
        (f for f in Page(login.body).forms if "password" in f["fields"]),  # type: ignore[operator]
        None,
    )
    if form is None:
        raise CheckFailed("the sign-in page has no password form")
    home = browser.submit(login, form, username=username, password=password)
    if home.status != 200 or home.path.startswith("/accounts/login/"):
        raise CheckFailed(
            f"{username} did not reach a home page: {home.status} {home.path}"
        )
    return home


def check_static_files(browser: Browser, page: Response, seen: set[str]) -> int:
    """Fetch every static file the page links to: each must answer 200 with a
    far-future, immutable cache header. Return how many were fetched anew."""
    fetched = 0
    for asset in Page(page.body).assets:
        path = urljoin(page.path, asset)
        if not path.startswith("/static/") or path in seen:
            continue
        seen.add(path)
        response = browser.get(path)
        if response.status != 200:
            raise CheckFailed(f"static file {path} answered {response.status}")
        cache = response.header("Cache-Control")
        max_age = re.search(r"max-age=(\d+)", cache)
        if not max_age or int(max_age.group(1)) < ONE_YEAR or "immutable" not in cache:
            raise CheckFailed(f"static file {path} is cached only {cache!r}")
        fetched += 1
    return fetched


def links_in(message: EmailMessage) -> list[str]:
    """Every link in an email: hrefs in its HTML part, URLs in its text part."""
    links: list[str] = []
    for part in message.walk():
        if part.get_content_maintype() != "text":
            continue
        text = part.get_content()
        if part.get_content_subtype() == "html":
            links += re.findall(r'href="([^"]*)"', text)
        else:
            links += re.findall(r"https?://[^\s<>\"')]+", text)
            links += re.findall(r"(?:^|\s)(/[\w\-./?=&%#]+)", text)
    return links
