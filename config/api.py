"""What the versioned API shares: the schema's scope and the throttles."""

from typing import Any

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import ScopedRateThrottle, UserRateThrottle

API_PREFIX = "/api/v1/"


def only_versioned_api(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list:
    """Keep only the ``/api/v1/`` routes in the schema (not Wagtail's admin API)."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(API_PREFIX)]


class AccountRateThrottle(UserRateThrottle):
    """Requests per account (per address when signed out), at the ``user`` rate."""

    cache = caches["throttles"]

    def get_rate(self) -> str | None:
        # Read at request time, so a changed setting applies without a restart.
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get(self.scope)


class ScopedThrottle(ScopedRateThrottle):
    """Requests per account to one family of endpoints (the view's throttle_scope)."""

    cache = caches["throttles"]

    def get_rate(self) -> str | None:
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get(self.scope)


# Every versioned API view throttles with these.
API_THROTTLES = [AccountRateThrottle, ScopedThrottle]
