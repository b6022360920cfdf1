"""Fixtures shared by the whole suite.

Tests that need PostgreSQL or Redis are marked ``postgres`` or ``redis``. Under CI
(``CI=true``) a missing service fails such a test; elsewhere it is skipped with the
reason, so ``make test`` on a laptop without services still runs everything else.
"""

import os
from datetime import date

import pytest
from django.conf import settings
from django.db import connection

from accounts.roles import Role
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


def ensure_wagtail_tree() -> None:
    """Recreate what Wagtail's migrations make (locale, root page, default site).

    A transactional test empties every table when it ends, so the next one would find
    no page tree to publish training modules into.
    """
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Locale, Page, Site

    if Site.objects.filter(is_default_site=True).exists():
        return
    language = get_supported_content_language_variant(settings.LANGUAGE_CODE)
    locale, _ = Locale.objects.get_or_create(language_code=language)
    root = Page.get_first_root_node() or Page.add_root(
        instance=Page(title="Root", slug="root", locale=locale)
    )
    home = root.get_children().first() or root.add_child(
        instance=Page(title="Welcome to Sustain", slug="home", locale=locale)
    )
    Site.objects.create(hostname="localhost", root_page=home, is_default_site=True)


@pytest.fixture(autouse=True)
def _wagtail_tree_in_transactional_tests(request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("django_db")
    uses_transactions = (marker and marker.kwargs.get("transaction")) or (
        "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
    )
    if uses_transactions:
        request.getfixturevalue("transactional_db")
        ensure_wagtail_tree()


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
