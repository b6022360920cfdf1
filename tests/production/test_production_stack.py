"""The production check: Sustain served as a deployment serves it, on every commit.

Assets built, static files collected with the manifest storage, gunicorn with the
production settings behind Debian's nginx, a Celery worker and one beat on Redis and
PostgreSQL (see ``stack.py``). Every demo role signs in through the proxy; static
files carry far-future cache headers; ``/health/`` and the container healthcheck
answer; a completion's email goes out through the worker with https links; no
request answers 5xx. The last test shows the check fails when a static file is
missing, as production did before the GOV.UK crest was configured away.

The tests share one stack and run in file order.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import psycopg
import pytest

from tests.production.stack import (
    ROOT,
    SITE_HOST,
    SITE_URL,
    Browser,
    CheckFailed,
    Page,
    check_static_files,
    links_in,
    sign_in,
)
from workforce.demo import DEMO_LOGINS, DEMO_PASSWORD

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

EMAIL_TIMEOUT = 30


def test_health_answers_200_through_the_proxy_and_to_the_container_probe(stack):
    health = Browser(stack.nginx_port).get("/health/")

    assert health.status == 200, health.body
    report = json.loads(health.body)
    assert report["database"] == "ok"
    assert report["redis"] == "ok"
    # The image's HEALTHCHECK asks gunicorn directly, over plain HTTP, with no proxy.
    probe = subprocess.run(
        [sys.executable, "-m", "config.healthcheck"],
        cwd=ROOT,
        env=stack.env(PORT=str(stack.gunicorn_port)),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert probe.returncode == 0, probe.stdout + probe.stderr


def test_plain_http_is_sent_to_https_and_hsts_is_set(stack):
    browser = Browser(stack.nginx_port)
    # Straight to gunicorn, as if the proxy had not said HTTPS.
    direct = Browser(stack.gunicorn_port).get("/accounts/login/", follow=False)
    proxied = browser.get("/accounts/login/")

    assert direct.status == 301
    assert direct.header("Location") == f"{SITE_URL}/accounts/login/"
    assert proxied.status == 200
    assert "max-age=31536000" in proxied.header("Strict-Transport-Security")
    assert "Secure" in proxied.headers.get_all("Set-Cookie")[0]


def test_every_demo_role_signs_in_through_the_proxy_and_reaches_its_home(stack):
    seen_static: set[str] = set()
    for username, first, last, *_rest in DEMO_LOGINS:
        browser = Browser(stack.nginx_port)

        home = sign_in(browser, username, DEMO_PASSWORD)

        assert home.path == "/", (username, home.path)
        assert f"{first} {last}" in home.body or first in home.body, username
        assert "Sign out" in home.body, username
        check_static_files(browser, home, seen_static)
    # The stylesheet and the scripts, each from its hashed name in the manifest.
    assert any(path.endswith(".css") for path in seen_static), seen_static
    assert any(path.endswith((".js", ".mjs")) for path in seen_static), seen_static


def test_a_completion_is_emailed_by_the_worker_with_https_links(stack):
    with psycopg.connect(stack.database_url) as conn:
        record_id, person_id, address = conn.execute(
            """
            SELECT x.id, x.person_id, u.email
            FROM learning_externaltraining x
            JOIN workforce_staffprofile p ON p.id = x.person_id
            JOIN accounts_user u ON u.id = p.user_id
            WHERE x.approved_at IS NULL
            ORDER BY x.id LIMIT 1
            """
        ).fetchone()
    manager = Browser(stack.nginx_port)
    sign_in(manager, "manager", DEMO_PASSWORD)
    person_page = manager.get(f"/learning/people/{person_id}/")
    approve = next(
        form
        for form in Page(person_page.body).forms
        if form["action"] == f"/learning/external/{record_id}/approve/"
    )

    approved = manager.submit(person_page, approve)

    assert approved.status == 200
    assert approved.path == f"/learning/people/{person_id}/"
    # Nothing in the web process sends mail: the worker does, on beat's relay tick.
    deadline = time.monotonic() + EMAIL_TIMEOUT
    mine = []
    while not mine and time.monotonic() < deadline:
        time.sleep(0.5)
        mine = [m for m in stack.emails() if address in str(m["To"])]
    assert mine, f"no email reached {address} within {EMAIL_TIMEOUT} s"
    message = mine[-1]
    assert "completed" in str(message["Subject"])
    links = links_in(message)
    assert links, message.as_string()
    for link in links:
        assert link.startswith(f"{SITE_URL}/"), link
    certificate = [link for link in links if "/certificate" in link or "/c/" in link]
    assert certificate, links
    # The certificate link works for anyone who is given it, through the proxy.
    page = Browser(stack.nginx_port).get(certificate[0][len(SITE_URL) :])
    assert page.status == 200


def test_no_request_answered_5xx(stack):
    served = stack.access_log.read_text().splitlines()

    assert len(served) > 20
    assert stack.server_errors() == []


def test_a_static_file_missing_from_the_manifest_fails_the_check(stack):
    manifest_path = stack.static_root / "staticfiles.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["paths"]["css/main.css"]
    manifest_path.write_text(json.dumps(manifest))
    stack.reload_web()

    with pytest.raises(CheckFailed, match="answered 500"):
        sign_in(Browser(stack.nginx_port), "practitioner", DEMO_PASSWORD)
    # nginx writes its log line after the answer is sent, so it may trail the client.
    deadline = time.monotonic() + 10
    while not stack.server_errors() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert stack.server_errors(), "nginx logged no 5xx"
    assert SITE_HOST in stack.env()["ALLOWED_HOSTS"]
