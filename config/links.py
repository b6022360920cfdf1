"""Absolute links: every page address that leaves the site starts with ``SITE_URL``.

An email has no current page and a printed certificate has no browser, so neither
can use a relative link. Any app may build one here; which page a *message* links
to, and for whom, is decided in ``notifications.links``.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse


def site_url() -> str:
    """Return ``SITE_URL`` without its trailing slash."""
    return str(settings.SITE_URL).rstrip("/")


def absolute(path: str) -> str:
    """Turn a site path (``/training/``) into a link that works off the site."""
    if not path.startswith("/"):
        raise ValueError(f"not a site path: {path!r}")
    return site_url() + path


def absolute_url(viewname: str, *args: object) -> str:
    """``reverse`` a view and make the result absolute."""
    return absolute(reverse(viewname, args=args))
