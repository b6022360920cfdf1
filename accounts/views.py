"""Invitation pages: set a first password, ask for a new link, resend one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from accounts.invitations import (
    InvitationError,
    accept_invitation,
    find_invitation,
    invite,
)
from accounts.models import Passkey, User
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
    from accounts import sso

    config = sso.passwords_off_for(invitation.user)
    if config is not None:
        # Their organisation signs them in itself: there is no password to set.
        return render(
            request,
            "accounts/invitation_single_sign_on.html",
            {"config": config, "invited": invitation.user},
            status=403 if request.method == "POST" else 200,
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
    has_app = two_factor.has_authenticator_app(user)
    form = TwoFactorCodeForm(request.POST or None, has_app=has_app)
    if request.method == "POST" and form.is_valid():
        waiting = two_factor.throttled(user)
        if not waiting and two_factor.verify(request, form.cleaned_data["code"]):
            return redirect(_safe_next(request))
        if waiting:
            form.add_error(
                "code",
                "Too many wrong codes. Wait a minute, then enter the code "
                "your app shows at that time"
                if has_app
                else "Too many wrong codes. Wait a minute, then try again",
            )
        else:
            form.add_error(
                "code",
                "The code is not right. Enter the 6 digits your app shows now, "
                "or an unused backup code"
                if has_app
                else "The code is not right. Enter an unused backup code",
            )
    return render(
        request,
        "accounts/two_factor_verify.html",
        {
            "form": form,
            "next": _safe_next(request),
            "has_passkey": Passkey.objects.filter(user=user, confirmed=True).exists(),
            "has_app": has_app,
        },
        status=400 if form.errors else 200,
    )


NEW_BACKUP_CODES = "sustain_new_backup_codes"


def _may_add_second_factor(request: HttpRequest) -> bool:
    """Whether this session may add a device: verified, or enrolling the first one.

    A password alone must never add a passkey beside an existing second factor.
    """
    from accounts import two_factor

    return two_factor.is_verified(request) or not two_factor.is_enrolled(request)


@login_required
def passkey_add(request: HttpRequest) -> HttpResponse:
    """Add a passkey: the page (GET), its options and the browser's answer (POST)."""
    from accounts import passkeys, two_factor

    user = request.user
    assert isinstance(user, User)
    if not _may_add_second_factor(request):
        return redirect(
            f"{reverse('accounts:two_factor_verify')}?"
            f"{urlencode({'next': request.get_full_path()})}"
        )
    if request.method != "POST":
        return render(
            request,
            "accounts/passkey_add.html",
            {"next": _safe_next(request), "required": two_factor.must_enrol(user)},
        )
    if request.POST.get("step") == "options":
        return HttpResponse(
            passkeys.registration_options(request, user),
            content_type="application/json",
        )
    first = not two_factor.is_enrolled(request)
    try:
        passkey = passkeys.register(
            request,
            user,
            response=request.POST.get("response", ""),
            name=request.POST.get("name", ""),
            now=timezone.now(),
        )
    except passkeys.PasskeyError as error:
        return JsonResponse({"detail": str(error)}, status=400)
    request.session[two_factor.ENROLLED_SESSION_KEY] = True
    if first:
        # The passkey is the first factor this person enrolled: this session is now
        # verified with it, and backup codes are their way back if it is lost.
        request.session.cycle_key()
        otp_login(request, passkey)
        request.session[NEW_BACKUP_CODES] = two_factor.replace_backup_codes(user)
        query = urlencode({"next": _safe_next(request)})
        target = f"{reverse('accounts:backup_codes')}?{query}"
    else:
        messages.success(request, "Your passkey is added.")
        target = _safe_next(request)
    return JsonResponse({"redirect": target})


@login_required
def backup_codes(request: HttpRequest) -> HttpResponse:
    """Show new backup codes once, right after a passkey was the first factor added."""
    codes = request.session.pop(NEW_BACKUP_CODES, None)
    if not codes:
        return redirect(_safe_next(request))
    return render(
        request,
        "accounts/two_factor_backup_codes.html",
        {"codes": codes, "next": _safe_next(request)},
    )


@login_required
@require_POST
def passkey_sign_in(request: HttpRequest) -> HttpResponse:
    """Verify the second factor with a passkey: options, then the browser's answer."""
    from accounts import passkeys

    user = request.user
    assert isinstance(user, User)
    if request.POST.get("step") == "options":
        return HttpResponse(
            passkeys.authentication_options(request, user),
            content_type="application/json",
        )
    try:
        passkeys.verify(
            request, user, response=request.POST.get("response", ""), now=timezone.now()
        )
    except passkeys.PasskeyError as error:
        return JsonResponse({"detail": str(error)}, status=400)
    return JsonResponse({"redirect": _safe_next(request)})


def single_sign_on(request: HttpRequest) -> HttpResponse:
    """Find a person's organisation from their work email; send them to its provider.

    One organisation with that domain: straight to its provider. Several (a council
    and a service sharing a domain): a choice of "Sign in with …". None: the site's
    own provider if there is one, else a message.
    """
    from accounts import sso
    from accounts.forms import SingleSignOnForm

    if not sso.is_offered():
        raise Http404
    next_url = _safe_next(request)
    form = SingleSignOnForm(request.GET if "email" in request.GET else None)
    choices: list[tuple[str, str]] = []
    if form.is_valid():
        email = form.cleaned_data["email"]
        configs = sso.configs_for_email(email)
        if len(configs) == 1:
            return redirect(sso.start_url(configs[0], next_url=next_url, email=email))
        if configs:
            choices = [
                (
                    config.provider_name,
                    sso.start_url(config, next_url=next_url, email=email),
                )
                for config in configs
            ]
        elif sso.is_enabled():
            query = urlencode({"next": next_url, "email": email})
            return redirect(f"{reverse('oidc_authentication_init')}?{query}")
        else:
            form.add_error(
                "email",
                f"No organisation signs in to Sustain with addresses at "
                f"{sso.email_domain(email)}. Sign in with your email and password",
            )
    return render(
        request,
        "accounts/single_sign_on.html",
        {"form": form, "choices": choices, "next": next_url},
        status=400 if form.errors else 200,
    )


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """Sign-in and security: a person's own passkeys, authenticator and codes."""
    from django_otp.plugins.otp_static.models import StaticToken

    from accounts import two_factor

    user = request.user
    assert isinstance(user, User)
    return render(
        request,
        "accounts/security.html",
        {
            "passkeys": Passkey.objects.filter(user=user, confirmed=True).order_by(
                "created_at", "pk"
            ),
            "has_app": two_factor.has_authenticator_app(user),
            "backup_codes_left": StaticToken.objects.filter(
                device__user=user, device__confirmed=True
            ).count(),
            "required": two_factor.must_enrol(user),
        },
    )


@login_required
@require_POST
def passkey_remove(request: HttpRequest, passkey_id: int) -> HttpResponse:
    """Remove one of the signed-in person's own passkeys (404 for anyone else's)."""
    from accounts import passkeys, two_factor

    user = request.user
    assert isinstance(user, User)
    try:
        passkey = passkeys.remove_passkey(user=user, passkey_id=passkey_id)
    except Passkey.DoesNotExist as error:
        raise Http404 from error
    except passkeys.PasskeyRemovalRefused as error:
        messages.error(request, str(error))
    else:
        # The enrolment cache may now be stale (the last factor went).
        request.session.pop(two_factor.ENROLLED_SESSION_KEY, None)
        messages.success(request, f"Your passkey “{passkey.name}” is removed.")
    return redirect("accounts:security")
