"""OpenAPI schema settings shared by the versioned API."""

from typing import Any

API_PREFIX = "/api/v1/"


def only_versioned_api(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list:
    """Keep only the ``/api/v1/`` routes in the schema (not Wagtail's admin API)."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(API_PREFIX)]
