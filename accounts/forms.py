from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from accounts.models import User


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


class InvitedPasswordResetForm(PasswordResetForm):
    """Password reset that also reaches invited people who have no password yet.

    Django's form skips accounts without a usable password, so a person the roster
    created would be sent nothing.
    """

    def get_users(self, email: str) -> Iterator[User]:
        return iter(User.objects.filter(email__iexact=email, is_active=True))

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Send the link, unless this email or address has asked too often lately."""
        from accounts.lockout import password_reset_allowed

        if password_reset_allowed(
            request=kwargs.get("request"), email=self.cleaned_data["email"]
        ):
            super().save(*args, **kwargs)


class TwoFactorCodeForm(forms.Form):
    """One code: six digits from the authenticator app, or a backup code."""

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
