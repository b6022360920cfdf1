"""Fixtures for the accounts tests."""

import pytest

from tests.accounts.oidc_fake import Providers


@pytest.fixture
def providers(monkeypatch: pytest.MonkeyPatch) -> Providers:
    """In-process OpenID Connect providers, and the network that reaches them."""
    return Providers(monkeypatch)
