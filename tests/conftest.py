"""Fixtures shared by the whole suite.

Tests that need PostgreSQL or Redis are marked ``postgres`` or ``redis``. Under CI
(``CI=true``) a missing service fails such a test; elsewhere it is skipped with the
reason, so ``make test`` on a laptop without services still runs everything else.
"""

import os
from datetime import date

import pytest
from django.db import connection

from accounts.roles import Role
from learning.content import ensure_site
from tests.factories import StaffProfileFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() == "true"
AS_OF = date(2026, 3, 15)


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI requires it)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _require_services(request: pytest.FixtureRequest) -> None:
    if (
        request.node.get_closest_marker("postgres")
        and connection.vendor != "postgresql"
    ):
        _unavailable("needs PostgreSQL: set DATABASE_URL")
    if request.node.get_closest_marker("redis") and not os.environ.get("REDIS_URL"):
        _unavailable("needs Redis: set REDIS_URL")


@pytest.fixture(autouse=True)
def _wagtail_tree_in_transactional_tests(request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("django_db")
    uses_transactions = (marker and marker.kwargs.get("transaction")) or (
        "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
    )
    if uses_transactions:
        request.getfixturevalue("transactional_db")
        # A transactional test empties every table when it ends, Wagtail's page tree
        # included; put it back so the next test has a site to publish modules in.
        ensure_site()


@pytest.fixture
def as_of() -> date:
    """A fixed 'today' for rules that depend on the date."""
    return AS_OF


@pytest.fixture
def make_person():
    """Build a staff profile whose user holds the given roles."""

    def make(*roles: Role, **profile_fields):
        user = UserFactory(roles=list(roles))
        return StaffProfileFactory(user=user, **profile_fields)

    return make
