"""Invitation pages: set a first password, ask for a new link, resend one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from accounts.invitations import (
    InvitationError,
    accept_invitation,
    find_invitation,
    invite,
)
from accounts.models import User
from accounts.roles import Role, has_role


def accept_invitation_view(request: HttpRequest, token: str) -> HttpResponse:
    """Let an invited person choose a password, or explain why the link fails."""
    now = timezone.now()
    invitation = find_invitation(token)
    if invitation is None or not invitation.is_usable(now=now):
        status = invitation.status(now=now) if invitation else "unknown"
        return render(
            request,
            "accounts/invitation_unusable.html",
            {"status": status, "token": token},
            status=410 if invitation else 404,
        )
    form = SetPasswordForm(invitation.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accept_invitation(
                token=token, password=form.cleaned_data["new_password1"], now=now
            )
        except InvitationError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                "Your password is set. Sign in with your email address and password.",
            )
            return redirect("accounts:login")
    return render(
        request,
        "accounts/invitation_accept.html",
        {"form": form, "invited": invitation.user},
        status=400 if form.errors else 200,
    )


@require_POST
def request_new_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Send a fresh link to the person an expired link was for (never shown here)."""
    invitation = find_invitation(token)
    if (
        invitation is not None
        and invitation.accepted_at is None
        and invitation.user.is_active
        and not invitation.user.has_usable_password()
    ):
        invite(user=invitation.user)
    return render(request, "accounts/invitation_requested.html")


@login_required
@require_POST
def resend_invitation(request: HttpRequest, person_id: int) -> HttpResponse:
    """Send a person a new invitation, for a manager who may see them by name."""
    from workforce.models import StaffProfile
    from workforce.scoping import person_scope

    if not has_role(request.user, Role.PROVIDER_MANAGER, Role.PLATFORM_ADMIN):
        raise PermissionDenied
    person = get_object_or_404(
        person_scope(StaffProfile.objects.select_related("user"), request.user),
        pk=person_id,
    )
    if person.user.has_usable_password():
        messages.info(request, f"{person.full_name} has already set a password.")
    else:
        invite(user=person.user, invited_by=request.user)  # type: ignore[arg-type]
        messages.success(
            request, f"A new invitation is on its way to {person.full_name}."
        )
    return redirect("learning:person_training", person_id=person.pk)


def _safe_next(request: HttpRequest) -> str:
    """Return the page to go on to, if it is on this site; else the dashboard."""
    from django.conf import settings
    from django.shortcuts import resolve_url
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Add an authenticator app: scan the QR code, type the first code."""
    from accounts import two_factor
    from accounts.forms import EnrolCodeForm

    user = request.user
    assert isinstance(user, User)
    if two_factor.is_enrolled(request):
        return redirect(
            f"{reverse('accounts:two_factor_verify')}?"
            f"{urlencode({'next': _safe_next(request)})}"
        )
    device = two_factor.pending_totp_device(user)
    form = EnrolCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = two_factor.normalise_code(form.cleaned_data["code"])
        codes = (
            two_factor.confirm_enrolment(request, device, code)
            if two_factor.TOTP_PATTERN.fullmatch(code)
            else None
        )
        if codes is not None:
            return render(
                request,
                "accounts/two_factor_backup_codes.html",
                {"codes": codes, "next": _safe_next(request)},
            )
        form.add_error(
            "code",
            "The code is not right. Check the app shows Sustain, "
            "and enter the 6 digits it shows now",
        )
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": two_factor.qr_code_svg(device),
            "manual_key": two_factor.manual_key(device),
            "next": _safe_next(request),
            "required": two_factor.must_enrol(user),
        },
        status=400 if form.errors else 200,
    )


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """Ask a signed-in person for the code from their app or a backup code."""
    from accounts import two_factor
    from accounts.forms import TwoFactorCodeForm

    user = request.user
    assert isinstance(user, User)
    if not two_factor.is_enrolled(request):
        return redirect(
            f"{reverse('accounts:two_factor_setup')}?"
            f"{urlencode({'next': _safe_next(request)})}"
        )
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        waiting = two_factor.throttled(user)
        if not waiting and two_factor.verify(request, form.cleaned_data["code"]):
            return redirect(_safe_next(request))
        if waiting:
            form.add_error(
                "code",
                "Too many wrong codes. Wait a minute, then enter the code "
                "your app shows at that time",
            )
        else:
            form.add_error(
                "code",
                "The code is not right. Enter the 6 digits your app shows now, "
                "or an unused backup code",
            )
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": _safe_next(request)},
        status=400 if form.errors else 200,
    )
