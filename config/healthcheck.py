"""The container's healthcheck: ask this container's gunicorn for ``/health/``.

``python -m config.healthcheck`` exits 0 when the site answers 200 and 1 otherwise.
It asks over plain HTTP on loopback, as Docker's HEALTHCHECK runs inside the
container: production settings exempt ``/health/`` from the HTTPS redirect, and the
request names the first of ``ALLOWED_HOSTS`` so Django accepts it. It needs no
Django import, so a probe costs a few milliseconds.
"""

from __future__ import annotations

import http.client
import os
import sys


def probe_host(allowed_hosts: str) -> str:
    """Return a Host header that ``ALLOWED_HOSTS`` accepts.

    ``.example.org`` allows every subdomain, so ``example.org`` is asked for; ``*``
    allows any host, so ``localhost`` is asked for.
    """
    first = next((h.strip() for h in allowed_hosts.split(",") if h.strip()), "")
    if not first or first == "*":
        return "localhost"
    return first.lstrip(".")


def check(*, port: int, host: str, timeout: float = 5.0) -> tuple[bool, str]:
    """Ask for /health/; return whether it answered 200, and what it said."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/health/", headers={"Host": host})
        response = connection.getresponse()
        body = response.read(2000).decode("utf-8", "replace")
    except OSError as error:
        return False, f"no answer on port {port}: {error}"
    finally:
        connection.close()
    return response.status == 200, f"{response.status} {body}"


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    host = probe_host(os.environ.get("ALLOWED_HOSTS", ""))
    healthy, said = check(port=port, host=host)
    print(said)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
