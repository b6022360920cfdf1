"""Invitation pages: set a first password, ask for a new link, resend one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.invitations import (
    InvitationError,
    accept_invitation,
    find_invitation,
    invite,
)
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
