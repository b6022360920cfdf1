"""P4: pages over HTTP under gunicorn on loopback, against a bare view in the same
server.

Gunicorn runs 2 workers with the benchmark's settings plus one bare view
(``bench/http_settings.py``), so every page goes through the same middleware.
Ten client threads, each on one keep-alive connection, ask for one page for
``BENCH_HTTP_SECONDS`` (10) each; the client is plain ``http.client``, since no
load tool (wrk, locust) is installed with the project. The client shares the
machine's cores with the server, so requests per second are read as a share of
the bare view's, measured a moment before on the same server.
"""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.test import Client
from django.urls import reverse

from bench.county import Cast
from bench.harness import Result

CONNECTIONS = 10
WORKERS = 2
MODULE_SHARE = 0.15
MODULE_P95_MS = 250
PAGE_P95_MS = {"1x": 300, "10x": 600}
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    p95_ms: float
    failures: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _session_cookie(user: object) -> str:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    client.get(reverse("home:dashboard"))  # the session's first touch
    return f"sessionid={client.cookies['sessionid'].value}"


def hammer(port: int, path: str, cookie: str, *, seconds: float) -> Load:
    """Ask for ``path`` over ``CONNECTIONS`` keep-alive connections for ``seconds``."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        bad = 0
        while time.perf_counter() < stop:
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers={"Cookie": cookie})
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            mine.append((time.perf_counter() - started) * 1000)
        connection.close()
        with lock:
            latencies.extend(mine)
            failures[0] += bad

    began = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    p95 = (
        statistics.quantiles(latencies, n=20)[-1]
        if len(latencies) >= 2
        else (latencies[0] if latencies else float("inf"))
    )
    return Load(len(latencies), elapsed, p95, failures[0])


class Server:
    """Gunicorn on a free loopback port, stopped when the block ends."""

    def __init__(self) -> None:
        self.port = _free_port()
        # Closed in __exit__: the server outlives this method.
        self.log = tempfile.TemporaryFile(prefix="sustain-bench-gunicorn-")  # noqa: SIM115
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.http_settings"}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--workers",
                str(WORKERS),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "120",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port)
                connection.request("GET", "/bench/bare/")
                if connection.getresponse().status == 200:
                    return self
            except OSError:
                time.sleep(0.5)
        self.__exit__()
        raise RuntimeError("gunicorn did not answer within 120 s")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def p4_http(cast: Cast, label: str, *, seconds: float) -> list[Result]:
    """P4: the bare view, a module page, My training and the commissioner dashboard."""
    from learning.models import ModulePage

    module = ModulePage.objects.live().order_by("path").first()
    if module is None:
        raise AssertionError("no module page to ask for")
    learner = _session_cookie(cast.practitioner)
    commissioner = _session_cookie(cast.commissioner)
    pages = {
        "bare view": ("/bench/bare/", learner),
        "module page": (module.get_url(), learner),
        "My training": (reverse("learning:my_training"), learner),
        "commissioner dashboard": (reverse("commissioning:dashboard"), commissioner),
    }
    loads: dict[str, Load] = {}
    with Server() as server:
        for name, (path, cookie) in pages.items():
            hammer(server.port, path, cookie, seconds=min(seconds, 2))  # warm-up
            loads[name] = hammer(server.port, path, cookie, seconds=seconds)
    bare = loads["bare view"]
    limit = PAGE_P95_MS.get(label, PAGE_P95_MS["10x"])
    results = []
    for name, load in loads.items():
        detail = (
            f"{load.per_second:.1f} requests/s, p95 {load.p95_ms:.0f} ms, "
            f"{load.requests} requests in {load.seconds:.0f} s"
        )
        if load.failures:
            detail += f", {load.failures} failed"
        if name == "bare view":
            continue
        if name == "module page":
            share = load.per_second / bare.per_second
            results.append(
                Result(
                    id="P4",
                    name=f"HTTP {name} / bare view, {label}",
                    value=round(share * 100, 1),
                    unit="% of the bare view's requests/s",
                    target=f">= {MODULE_SHARE:.0%}, p95 < {MODULE_P95_MS} ms",
                    holds=share >= MODULE_SHARE
                    and load.p95_ms < MODULE_P95_MS
                    and not load.failures,
                    detail=f"{detail}; bare view {bare.per_second:.1f} requests/s",
                )
            )
            continue
        results.append(
            Result(
                id="P4",
                name=f"HTTP {name} p95, {label}",
                value=round(load.p95_ms),
                unit="ms",
                target=f"p95 < {limit} ms",
                holds=load.p95_ms < limit and not load.failures,
                detail=detail,
            )
        )
    return results
