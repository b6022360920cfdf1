"""No cache keeps what a signed-in person was sent: one middleware, every URL."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.roles import Role
from tests.factories.workforce import StaffProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


def plain_urls(patterns=None, prefix="") -> list[str]:
    """Every URL of the site that takes no argument (the Wagtail admin aside)."""
    found: list[str] = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = str(entry.pattern)
        if "<" in route or "(?P" in route or route.startswith("admin/"):
            continue
        route = route.lstrip("^").rstrip("$")
        if isinstance(entry, URLResolver):
            found += plain_urls(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern) and "\\" not in route:
            found.append("/" + prefix + route)
    return sorted(set(found))


@pytest.fixture
def signed_in(client):
    everyone = [Role.PLATFORM_ADMIN, Role.PROVIDER_MANAGER, Role.SUPERVISOR]
    person = StaffProfileFactory(user=UserFactory(roles=everyone))
    client.force_login(person.user)
    return client


class TestPrivateCache:
    def test_the_url_list_is_long_enough_to_mean_something(self):
        urls = plain_urls()
        assert len(urls) > 20, urls
        assert "/api/v1/" in " ".join(urls)

    def test_every_signed_in_response_on_the_url_list_is_no_store(self, signed_in):
        checked = []
        for url in plain_urls():
            if url.endswith("/logout/"):
                continue
            response = signed_in.get(url)
            assert response.status_code < 500, url
            assert response.headers.get("Cache-Control") == "private, no-store", (
                url,
                response.status_code,
            )
            checked.append(url)
        assert len(checked) > 20

    def test_admin_pages_are_no_store_too(self, signed_in):
        response = signed_in.get("/admin/")
        assert response.headers["Cache-Control"] == "private, no-store"

    def test_the_api_signed_in_by_token_is_no_store(self, client):
        from accounts.tokens import issue_token

        user = UserFactory(roles=[Role.PLATFORM_ADMIN])
        StaffProfileFactory(user=user)
        _, key = issue_token(user=user)
        response = client.get(
            "/api/v1/providers/", headers={"Authorization": f"Token {key}"}
        )
        assert response.headers["Cache-Control"] == "private, no-store"

    def test_static_files_stay_cacheable(self, signed_in):
        response = signed_in.get("/static/css/main.css")
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("Cache-Control", "")
