from django import forms
from django.contrib.auth.forms import AuthenticationForm


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
