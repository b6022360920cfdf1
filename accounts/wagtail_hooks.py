"""Accounts in the Wagtail admin: invitations for people an admin creates, role
changes in the audit trail, and each organisation's single sign-on."""

from typing import Any

from django import forms
from django.http import HttpRequest
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from accounts.invitations import invite_new_people
from accounts.models import OrganisationSignIn, User
from accounts.sign_in_settings import (
    ENDPOINTS,
    FIELDS,
    SignInSettingsError,
    check,
    remove_sign_in,
    save_sign_in,
)


@hooks.register("after_create_user")
def invite_created_user(request: HttpRequest, user: User) -> None:
    invite_new_people(
        users=[user],
        invited_by=request.user if isinstance(request.user, User) else None,
    )


def _role_names(user: User) -> set[str]:
    return set(User.objects.get(pk=user.pk).groups.values_list("name", flat=True))


@hooks.register("before_edit_user")
def remember_roles(request: HttpRequest, user: User) -> None:
    """Note the roles before an edit, so the audit entry can say what changed."""
    request._sustain_roles_before = _role_names(user)  # type: ignore[attr-defined]


@hooks.register("after_edit_user")
def audit_role_change(request: HttpRequest, user: User) -> None:
    from workforce.audit import record_role_change

    record_role_change(
        actor=request.user,
        user=user,
        before=getattr(request, "_sustain_roles_before", set()),
        after=_role_names(user),
    )


@hooks.register("after_create_user")
def audit_first_roles(request: HttpRequest, user: User) -> None:
    from workforce.audit import record_role_change

    record_role_change(
        actor=request.user, user=user, before=set(), after=_role_names(user)
    )


class OrganisationSignInForm(WagtailAdminModelForm):
    """The single sign-on form: the secret is write-only, endpoints may be found."""

    new_client_secret = forms.CharField(
        label="Client secret",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Stored encrypted and never shown again. Leave blank to keep the "
        "current one, or to read it from the environment variable "
        "OIDC_CLIENT_SECRET_<ORGANISATION SLUG> (capitals, dashes as underscores).",
    )

    class Meta:
        model = OrganisationSignIn
        fields = [
            "organisation",
            "enabled",
            "provider_name",
            "email_domains",
            "issuer",
            "client_id",
            "authorization_endpoint",
            "token_endpoint",
            "userinfo_endpoint",
            "jwks_endpoint",
            "sign_algo",
            "passwords_off",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field, _ in ENDPOINTS:
            self.fields[field].required = False
            self.fields[field].help_text = (
                "Leave the four endpoints blank to read them from the issuer's "
                "/.well-known/openid-configuration."
            )
        if self.instance.pk:
            # One organisation's settings never move to another.
            self.fields["organisation"].disabled = True

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            cleaned.update(check({field: cleaned.get(field) for field in FIELDS}))
        except SignInSettingsError as error:
            self.add_error(error.field, str(error))
        return cleaned


class _SavedThroughService:
    """Save through ``accounts.sign_in_settings`` (audited), not the generic action."""

    def save_instance(self) -> OrganisationSignIn:
        form = self.form  # type: ignore[attr-defined]
        return save_sign_in(
            actor=self.request.user,  # type: ignore[attr-defined]
            organisation=form.cleaned_data["organisation"],
            values={field: form.cleaned_data[field] for field in FIELDS},
            new_secret=form.cleaned_data.get("new_client_secret", ""),
        )


class SignInCreateView(_SavedThroughService, generic.CreateView):
    pass


class SignInEditView(_SavedThroughService, generic.EditView):
    pass


class SignInDeleteView(generic.DeleteView):
    def delete_action(self) -> None:
        remove_sign_in(actor=self.request.user, config=self.object)


class OrganisationSignInViewSet(ModelViewSet):
    model = OrganisationSignIn
    add_view_class = SignInCreateView
    edit_view_class = SignInEditView
    delete_view_class = SignInDeleteView
    icon = "key"
    menu_label = "Single sign-on"
    menu_order = 210
    add_to_admin_menu = True
    list_display = ["organisation", "provider_name", "enabled", "passwords_off"]

    def get_form_class(self, for_update: bool = False) -> type[OrganisationSignInForm]:
        return OrganisationSignInForm

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return OrganisationSignIn.objects.select_related("organisation")


@hooks.register("register_admin_viewset")
def register_sign_in_viewset() -> OrganisationSignInViewSet:
    return OrganisationSignInViewSet("single_sign_on")
