"""Single sign-on per organisation: each organisation's provider signs in its own
people only, set by a platform admin in the Wagtail admin, audited, secret sealed."""

from __future__ import annotations

import pytest
from django.contrib import messages
from django.db import connection
from wagtail.models import ModelLogEntry

from accounts.models import OrganisationSignIn
from accounts.roles import Role
from accounts.sign_in_settings import SignInSettingsError, save_sign_in
from tests.accounts.oidc_fake import configure
from tests.factories import OrganisationFactory, StaffProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(providers):
    """Two organisations, each with its own provider, and one person in each."""
    a = OrganisationFactory(name="Northshire Council", slug="northshire")
    b = OrganisationFactory(name="Harbour Trust", slug="harbour")
    idp_a, idp_b = providers.add("northshire"), providers.add("harbour")
    configure(a, idp_a, domains="northshire.gov.uk")
    configure(b, idp_b, domains="harbour.example, @harbour.org.uk")
    ann = StaffProfileFactory(
        organisation=a,
        user=UserFactory(username="ann", email="ann@northshire.gov.uk"),
    ).user
    bob = StaffProfileFactory(
        organisation=b, user=UserFactory(username="bob", email="bob@harbour.example")
    ).user
    return {"a": a, "b": b, "idp_a": idp_a, "idp_b": idp_b, "ann": ann, "bob": bob}


def signed_in_as(client):
    return client.session.get("_auth_user_id")


def page_messages(response):
    return [str(m) for m in messages.get_messages(response.wsgi_request)]


class TestSigningIn:
    def test_a_person_signs_in_through_their_own_organisation_s_provider(
        self, client, providers, world
    ):
        world["idp_a"].email = "Ann@Northshire.gov.uk"

        response = providers.sign_in(client, "/oidc/authenticate/northshire/")

        assert response.status_code == 302 and response["Location"] == "/"
        assert signed_in_as(client) == str(world["ann"].pk)

    def test_the_start_goes_to_that_organisation_s_provider_with_pkce(
        self, client, world
    ):
        start = client.get(
            "/oidc/authenticate/harbour/", {"email": "bob@harbour.example"}
        )

        location = start["Location"]
        assert location.startswith(world["idp_b"].issuer + "/authorize?")
        assert "code_challenge_method=S256" in location
        assert "login_hint=bob%40harbour.example" in location

    def test_an_unknown_or_switched_off_organisation_has_no_start(self, client, world):
        OrganisationSignIn.objects.filter(organisation=world["b"]).update(enabled=False)

        assert client.get("/oidc/authenticate/harbour/").status_code == 404
        assert client.get("/oidc/authenticate/nowhere/").status_code == 404


class TestAttackers:
    def test_b_s_provider_cannot_sign_in_a_person_of_a(self, client, providers, world):
        # B's provider (or whoever runs it) vouches, verified, for A's person.
        world["idp_b"].email = "ann@northshire.gov.uk"

        response = providers.sign_in(client, "/oidc/authenticate/harbour/")

        assert signed_in_as(client) is None
        assert response["Location"] == "/accounts/login/"
        assert page_messages(response) == [
            "There is no active Sustain account at Harbour Trust for "
            "ann@northshire.gov.uk. If you work there, ask your manager to add you "
            "to the staff roster."
        ]

    def test_a_token_b_signed_is_refused_at_a_sign_in_begun_at_a(
        self, client, providers, world
    ):
        # A's token endpoint is made to hand back an ID token B's key signed.
        world["idp_a"].email = "ann@northshire.gov.uk"
        world["idp_a"].signed_by = world["idp_b"]

        providers.sign_in(client, "/oidc/authenticate/northshire/")

        assert signed_in_as(client) is None

    @pytest.mark.parametrize(
        "override",
        [
            {"iss": "https://harbour.idp.example"},
            {"aud": "someone-else"},
            {"aud": ["someone-else", "another"]},
        ],
        ids=["b-issuer", "other-client", "other-clients"],
    )
    def test_an_id_token_naming_another_issuer_or_client_is_refused(
        self, client, providers, world, override
    ):
        # Signed with A's own key, so only the issuer or audience check stops it.
        world["idp_a"].email = "ann@northshire.gov.uk"
        world["idp_a"].id_token_overrides = override

        providers.sign_in(client, "/oidc/authenticate/northshire/")

        assert signed_in_as(client) is None

    def test_user_info_about_another_subject_is_refused(self, client, providers, world):
        world["idp_a"].email = "ann@northshire.gov.uk"
        world["idp_a"].userinfo_overrides = {"sub": "northshire|someone-else"}

        providers.sign_in(client, "/oidc/authenticate/northshire/")

        assert signed_in_as(client) is None

    def test_a_callback_for_a_sign_in_never_begun_here_is_refused(
        self, client, providers, world
    ):
        world["idp_a"].email = "ann@northshire.gov.uk"
        start = client.get("/oidc/authenticate/northshire/")
        # The provider chosen is forgotten (another tab, a forged state...).
        session = client.session
        session["sustain_sso_states"] = {}
        session.save()
        from urllib.parse import parse_qs, urlsplit

        query = parse_qs(urlsplit(start["Location"]).query)
        providers.nonces["c"] = query["nonce"][0]
        client.get("/oidc/callback/", {"code": "c", "state": query["state"][0]})

        assert signed_in_as(client) is None

    def test_the_site_s_provider_cannot_sign_in_someone_whose_organisation_has_its_own(
        self, client, providers, world, settings
    ):
        site = providers.add("site")
        settings.OIDC_RP_CLIENT_ID = site.client_id
        settings.OIDC_RP_CLIENT_SECRET = "s"
        settings.OIDC_OP_ISSUER = site.issuer
        settings.OIDC_OP_AUTHORIZATION_ENDPOINT = site.endpoints()[
            "authorization_endpoint"
        ]
        settings.OIDC_OP_TOKEN_ENDPOINT = site.endpoints()["token_endpoint"]
        settings.OIDC_OP_USER_ENDPOINT = site.endpoints()["userinfo_endpoint"]
        settings.OIDC_OP_JWKS_ENDPOINT = site.endpoints()["jwks_endpoint"]
        site.email = "ann@northshire.gov.uk"

        providers.sign_in(client, "/oidc/authenticate/")
        assert signed_in_as(client) is None

        # Someone in an organisation without its own provider still can.
        carl = StaffProfileFactory(
            user=UserFactory(username="carl", email="carl@elsewhere.example")
        ).user
        site.email = carl.email
        providers.sign_in(client, "/oidc/authenticate/", code="code-2")
        assert signed_in_as(client) == str(carl.pk)


class TestChoosingTheProvider:
    def test_the_sign_in_page_offers_single_sign_on_by_work_email(self, client, world):
        login = client.get("/accounts/login/").content.decode()

        assert 'href="/accounts/sign-in/organisation/"' in login
        assert "Sign in with your organisation" in login

    def test_a_work_email_goes_to_its_organisation_s_provider(self, client, world):
        response = client.get(
            "/accounts/sign-in/organisation/",
            {"email": "BOB@harbour.org.uk", "next": "/learning/"},
        )

        assert response.status_code == 302
        assert response["Location"] == (
            "/oidc/authenticate/harbour/?next=%2Flearning%2F&email=BOB%40harbour.org.uk"
        )

    def test_a_shared_domain_offers_a_choice_of_organisation(
        self, client, providers, world
    ):
        c = OrganisationFactory(name="Northshire Children's Trust", slug="trust")
        configure(c, providers.add("trust"), domains="northshire.gov.uk")

        page = client.get(
            "/accounts/sign-in/organisation/", {"email": "ann@northshire.gov.uk"}
        ).content.decode()

        assert "Sign in with Northshire Council account" in page
        assert "Sign in with Northshire Children&#x27;s Trust account" in page
        assert "/oidc/authenticate/trust/?" in page

    def test_an_email_no_organisation_uses_is_told_so_beside_the_field(
        self, client, world
    ):
        response = client.get(
            "/accounts/sign-in/organisation/", {"email": "eve@gmail.example"}
        )

        assert response.status_code == 400
        assert "No organisation signs in to Sustain with addresses at " in (
            response.content.decode()
        )

    def test_hostile_input_never_500s(self, client, world):
        for email in ["", "not-an-email", "a@" + "x" * 300, "<script>@x.y"]:
            response = client.get("/accounts/sign-in/organisation/", {"email": email})
            assert response.status_code == 400


class TestAdmin:
    @pytest.fixture
    def admin_user(self):
        return UserFactory(
            username="alex", email="alex@platform.example", roles=[Role.PLATFORM_ADMIN]
        )

    def form(self, organisation, **extra):
        return {
            "organisation": organisation.pk,
            "enabled": "on",
            "provider_name": "Northshire Microsoft account",
            "email_domains": "northshire.gov.uk",
            "issuer": "https://northshire.idp.example",
            "client_id": "sustain",
            "new_client_secret": "first-secret-value",
            "sign_algo": "RS256",
            **extra,
        }

    def test_a_platform_admin_sets_it_up_the_endpoints_are_found_and_it_is_audited(
        self, client, providers, admin_user
    ):
        providers.add("northshire")
        org = OrganisationFactory(name="Northshire Council", slug="northshire")
        client.force_login(admin_user)

        response = client.post("/admin/single_sign_on/new/", self.form(org))

        assert response.status_code == 302, response.content.decode()[:3000]
        config = OrganisationSignIn.objects.get(organisation=org)
        assert config.token_endpoint == "https://northshire.idp.example/token"
        assert config.jwks_endpoint == "https://northshire.idp.example/jwks"
        assert config.client_secret == "first-secret-value"
        entry = ModelLogEntry.objects.get(action="sustain.sign_in.configure")
        assert entry.user_id == admin_user.pk
        assert "first-secret-value" not in str(entry.data)

    def test_the_secret_is_sealed_and_never_shown_back(
        self, client, providers, world, admin_user
    ):
        client.force_login(admin_user)
        config = OrganisationSignIn.objects.get(organisation=world["a"])

        page = client.get(f"/admin/single_sign_on/edit/{config.pk}/").content.decode()

        assert "northshire-secret" not in page
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT client_secret FROM accounts_organisationsignin WHERE id = %s",
                [config.pk],
            )
            (stored,) = cursor.fetchone()
        assert stored.startswith("fernet:") and "northshire-secret" not in stored

        # Saving without a new secret keeps the old one.
        data = self.form(world["a"], new_client_secret="", provider_name="Renamed")
        data.update(
            {k: v for k, v in world["idp_a"].endpoints().items()},
            issuer=world["idp_a"].issuer,
        )
        assert (
            client.post(f"/admin/single_sign_on/edit/{config.pk}/", data).status_code
            == 302
        )
        config.refresh_from_db()
        assert (config.provider_name, config.client_secret) == (
            "Renamed",
            "northshire-secret",
        )
        entry = ModelLogEntry.objects.filter(action="sustain.sign_in.configure").latest(
            "pk"
        )
        assert entry.data["changed"] == ["provider_name"]

    def test_a_wrong_issuer_is_explained_and_nothing_is_saved(
        self, client, providers, admin_user
    ):
        providers.add("northshire")
        org = OrganisationFactory(slug="northshire")
        client.force_login(admin_user)

        response = client.post(
            "/admin/single_sign_on/new/",
            self.form(org, issuer="https://northshire.idp.example/other"),
        )

        assert response.status_code == 200
        assert "name a different issuer" in response.content.decode()
        assert not OrganisationSignIn.objects.exists()

    def test_a_manager_cannot_reach_it(self, client, world):
        manager = UserFactory(username="m", roles=[Role.PROVIDER_MANAGER])
        client.force_login(manager)

        assert client.get("/admin/single_sign_on/").status_code == 403


class TestRules:
    def test_production_refuses_plain_http(self, world, settings):
        settings.OIDC_REQUIRE_HTTPS = True
        values = {
            "enabled": True,
            "provider_name": "x",
            "email_domains": "x.example",
            "issuer": "http://x.example",
            "client_id": "c",
            "authorization_endpoint": "http://x.example/a",
            "token_endpoint": "https://x.example/t",
            "userinfo_endpoint": "https://x.example/u",
            "jwks_endpoint": "https://x.example/j",
            "sign_algo": "RS256",
            "passwords_off": False,
        }
        with pytest.raises(SignInSettingsError, match="https://"):
            save_sign_in(actor=None, organisation=world["a"], values=values)

    def test_the_secret_can_come_from_the_environment(
        self, client, providers, monkeypatch
    ):
        org = OrganisationFactory(name="Dale Fostering", slug="dale-fostering")
        idp = providers.add("dale")
        config = configure(org, idp, domains="dale.example")
        OrganisationSignIn.objects.filter(pk=config.pk).update(client_secret="")
        monkeypatch.setenv("OIDC_CLIENT_SECRET_DALE_FOSTERING", "from-env")
        seen = {}
        original = providers._post

        def post(url, data, **kwargs):
            seen["secret"] = data["client_secret"]
            return original(url, data, **kwargs)

        monkeypatch.setattr("requests.post", post)
        idp.email = "dee@dale.example"
        dee = StaffProfileFactory(
            organisation=org, user=UserFactory(username="dee", email=idp.email)
        ).user

        providers.sign_in(client, "/oidc/authenticate/dale-fostering/")

        assert seen["secret"] == "from-env"
        assert signed_in_as(client) == str(dee.pk)
