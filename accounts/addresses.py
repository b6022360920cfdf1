"""The address a request came from, behind the configured number of reverse proxies.

Each trusted proxy appends the address it was reached from to ``X-Forwarded-For``.
With ``PROXY_COUNT`` proxies in front of the app, the client is the entry that many
places from the right: entries further left were written by the client itself and
prove nothing. Without proxies the header is ignored, as anyone may send it.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """Return the client's address as the outermost trusted proxy saw it."""
    remote = _valid(request.META.get("REMOTE_ADDR", "")) or "0.0.0.0"
    proxies = settings.PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part
    ]
    if len(forwarded) < proxies:
        # The request did not pass through every proxy: its header is not to be trusted.
        return remote
    return _valid(forwarded[-proxies]) or remote
