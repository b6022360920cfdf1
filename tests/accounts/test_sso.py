"""Single sign-on matching: only a verified email of one active person signs in."""

from datetime import timedelta

import pytest
from django.core.exceptions import SuspiciousOperation
from django.test import RequestFactory

from accounts.models import User
from accounts.sso import REFUSAL, SignInBackend
from tests.factories import StaffProfileFactory, UserFactory
from workforce.dates import today

pytestmark = pytest.mark.django_db


@pytest.fixture
def backend():
    backend = SignInBackend()
    backend.request = RequestFactory().get("/oidc/callback/")
    return backend


@pytest.mark.parametrize(
    "verified", [False, "true", 1, None], ids=["false", "string", "one", "missing"]
)
def test_an_email_the_provider_did_not_verify_is_refused(backend, verified):
    UserFactory(username="ada", email="ada@harbour.example")
    claims = {"email": "ada@harbour.example", "email_verified": verified}

    assert not backend.verify_claims(claims)
    assert "did not confirm" in getattr(backend.request, REFUSAL)


def test_only_active_people_still_in_post_match(backend):
    ada = UserFactory(username="ada", email="ada@harbour.example")
    StaffProfileFactory(user=ada, left_on=today())  # last day: still in post
    gone = StaffProfileFactory(
        user=UserFactory(username="gone", email="gone@harbour.example"),
        left_on=today() - timedelta(days=1),
    )

    assert list(backend.filter_users_by_claims({"email": "ADA@harbour.example"})) == [
        ada
    ]
    assert not backend.filter_users_by_claims({"email": gone.user.email})
    assert not backend.filter_users_by_claims({"email": "ada@harbour.example.evil"})


def test_it_never_creates_or_changes_an_account(backend):
    ada = UserFactory(username="ada", email="ada@harbour.example", first_name="Ada")

    with pytest.raises(SuspiciousOperation):
        backend.create_user({"email": "new@harbour.example"})
    backend.update_user(ada, {"email": "ada@harbour.example", "given_name": "Eve"})

    ada.refresh_from_db()
    assert ada.first_name == "Ada"
    assert not User.objects.filter(email="new@harbour.example").exists()


def test_without_a_provider_there_is_no_button_and_no_start(client):
    login = client.get("/accounts/login/")

    assert "Sign in with your organisation" not in login.content.decode()
    assert client.get("/oidc/authenticate/").status_code == 404
