"""Security headers a browser enforces on Sustain's pages."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


class TestSecurityHeaders:
    def test_site_pages_allow_scripts_only_from_this_site(self, client):
        response = client.get(reverse("accounts:login"))

        policy = response.headers["Content-Security-Policy"]
        script_src = next(
            part for part in policy.split("; ") if part.startswith("script-src ")
        )
        assert script_src == "script-src 'self'"
        assert "frame-ancestors 'none'" in policy

    def test_site_pages_refuse_to_be_framed_and_sniffed(self, client):
        response = client.get(reverse("accounts:login"))

        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
