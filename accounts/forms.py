from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.core.exceptions import ValidationError

from accounts.models import OrganisationSignIn, User


def passwords_off_message(config: OrganisationSignIn) -> str:
    """Say, in one sentence, that this organisation signs its people in itself."""
    return (
        f"{config.organisation.name} has turned off Sustain passwords for its staff. "
        f"Sign in with {config.provider_name} instead."
    )


class SignInForm(AuthenticationForm):
    """Django's sign-in form with labels people recognise."""

    username = forms.CharField(
        label="Username or email",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    error_messages = {
        "invalid_login": (
            "Enter a correct username or email and password. "
            "The password is case-sensitive."
        ),
        "inactive": "This account is not active. Ask your manager to restore it.",
    }

    # The organisation whose single sign-on the page should offer after a refusal.
    single_sign_on: OrganisationSignIn | None = None

    def clean(self) -> dict[str, Any]:
        """Sign in, or say why not; point people whose passwords are off to their
        organisation's sign-in (judged by their email's domain when the password
        was wrong, so nobody learns from it whether an account exists)."""
        from accounts import sso

        try:
            return super().clean()
        except ValidationError:
            config = getattr(self.request, sso.PASSWORDS_OFF, None)
            if config is None:
                config = sso.passwords_off_for_email(
                    self.cleaned_data.get("username", "")
                )
            if config is None:
                raise
            self.single_sign_on = config
            raise ValidationError(
                passwords_off_message(config), code="passwords_off"
            ) from None


class InvitedPasswordResetForm(PasswordResetForm):
    """Password reset that also reaches invited people who have no password yet.

    Django's form skips accounts without a usable password, so a person the roster
    created would be sent nothing.
    """

    single_sign_on: OrganisationSignIn | None = None

    def clean_email(self) -> str:
        """Refuse an address at an organisation that has turned passwords off."""
        from accounts import sso

        email: str = self.cleaned_data["email"]
        config = sso.passwords_off_for_email(email)
        if config is not None:
            self.single_sign_on = config
            raise ValidationError(
                f"{passwords_off_message(config)} There is no Sustain password "
                "to reset.",
                code="passwords_off",
            )
        return email

    def get_users(self, email: str) -> Iterator[User]:
        from accounts import sso

        for user in User.objects.filter(email__iexact=email, is_active=True):
            if sso.passwords_off_for(user) is None:
                yield user

    def save(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        """Send the link through the outbox, unless this email or address has asked
        too often lately (the page reads the same either way)."""
        from accounts.invitations import send_password_reset
        from accounts.lockout import password_reset_allowed

        email = self.cleaned_data["email"]
        if password_reset_allowed(request=request, email=email):
            for user in self.get_users(email):
                send_password_reset(user=user)


class NewPasswordForm(SetPasswordForm):  # type: ignore[type-arg]
    """Choose a password from a reset link: refused where passwords are off (a link
    sent before the organisation turned them off must not set one)."""

    single_sign_on: OrganisationSignIn | None = None

    def clean(self) -> dict[str, Any]:
        from accounts import sso

        config = sso.passwords_off_for(self.user)
        if config is not None:
            self.single_sign_on = config
            raise ValidationError(passwords_off_message(config), code="passwords_off")
        return super().clean()


class SingleSignOnForm(forms.Form):
    """The work email that finds a person's organisation and its provider."""

    email = forms.EmailField(
        label="Work email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": "Enter your work email address",
            "invalid": "Enter an email address like name@example.org",
        },
    )


class TwoFactorCodeForm(forms.Form):
    """One code: six digits from the authenticator app, or a backup code.

    ``has_app=False`` (a person whose second factor is a passkey) asks for a backup
    code only, without mentioning an app they do not have.
    """

    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text=(
            "Enter the 6-digit code your authenticator app shows, "
            "or one of your backup codes."
        ),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
        error_messages={"required": "Enter the code from your authenticator app"},
    )

    def __init__(self, *args: Any, has_app: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not has_app:
            field = self.fields["code"]
            field.label = "Backup code"
            field.help_text = "Enter one of the backup codes you saved."
            field.error_messages["required"] = "Enter one of your backup codes"


class EnrolCodeForm(TwoFactorCodeForm):
    """The first code from a newly added authenticator app (no backup codes yet)."""

    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=20,
        help_text="The 6-digit code the app shows for Sustain.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}
        ),
        error_messages={"required": "Enter the 6-digit code from your app"},
    )


class ApiTokenForm(forms.Form):
    """A name for a new API token, so its owner can tell their tokens apart."""

    name = forms.CharField(
        label="What is the token for?",
        help_text="For example, the name of the report or system that will use it.",
        max_length=100,
        required=False,
    )
