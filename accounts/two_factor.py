"""Two-factor authentication: who needs it, enrolment, verification and recovery.

Built on django-otp: an authenticator app (TOTP, RFC 6238), passkeys (WebAuthn, in
``accounts.passkeys``) and single-use backup codes. Supervisors, managers,
commissioners, editors and admins reach special-category data, so they must verify a
second factor when ``TWO_FACTOR_REQUIRED`` is on (it is on unless the environment
turns it off). A practitioner may enrol too; once enrolled, they are asked for a
second factor like everyone else.
"""

from __future__ import annotations

import logging
import re

import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Passkey, User
from accounts.roles import Role, has_role

log = logging.getLogger("sustain.security")

PRIVILEGED_ROLES = (
    Role.SUPERVISOR,
    Role.PROVIDER_MANAGER,
    Role.COMMISSIONER,
    Role.CONTENT_EDITOR,
    Role.PLATFORM_ADMIN,
)
BACKUP_CODE_COUNT = 10
ENROLLED_SESSION_KEY = "sustain_two_factor_enrolled"
# Set by single sign-on when ``OIDC_TRUST_MFA_CLAIM`` is on and the provider says it
# checked a second factor (see ``accounts.sso``).
PROVIDER_MFA_SESSION_KEY = "sustain_provider_mfa"
TOTP_PATTERN = re.compile(r"\d{6}")
BACKUP_PATTERN = re.compile(r"[a-z2-7]{8}")


def is_privileged(user: User) -> bool:
    """Say whether the user holds a role that reaches special-category data."""
    return bool(user.is_staff or has_role(user, *PRIVILEGED_ROLES))


def must_enrol(user: User) -> bool:
    """Say whether the user may not go on without an enrolled second factor."""
    return bool(settings.TWO_FACTOR_REQUIRED) and is_privileged(user)


def is_verified(request: HttpRequest) -> bool:
    """Say whether this session has passed a second factor, here or at the provider."""
    return bool(
        request.user.is_verified()  # type: ignore[union-attr]
        or request.session.get(PROVIDER_MFA_SESSION_KEY) is True
    )


def is_enrolled(request: HttpRequest) -> bool:
    """Say whether the signed-in user has a confirmed device (cached per session)."""
    enrolled = request.session.get(ENROLLED_SESSION_KEY)
    if enrolled is None:
        enrolled = user_has_device(request.user)
        request.session[ENROLLED_SESSION_KEY] = enrolled
    return bool(enrolled)


def has_authenticator_app(user: User) -> bool:
    """Say whether the user has a confirmed authenticator app (TOTP)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def normalise_code(raw: str) -> str:
    """Drop the spaces and dashes people type inside codes; lower-case backup codes."""
    return re.sub(r"[\s-]", "", raw or "").lower()


def pending_totp_device(user: User) -> TOTPDevice:
    """Return the user's unconfirmed authenticator, creating one with a fresh key."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name="Authenticator app", confirmed=False
        )
    return device


def qr_code_svg(device: TOTPDevice) -> str:
    """Return the device's otpauth:// address as an inline SVG QR code."""
    qr = segno.make(device.config_url, error="m")
    svg: str = qr.svg_inline(
        scale=4, title="QR code for your authenticator app", svgclass="app-qr-code"
    )
    return svg


def manual_key(device: TOTPDevice) -> str:
    """Return the key in base32, in groups of four, for typing into an app."""
    from base64 import b32encode

    key = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def confirm_enrolment(
    request: HttpRequest, device: TOTPDevice, code: str
) -> list[str] | None:
    """Confirm the authenticator if the code is right; return new backup codes.

    The request's session is marked verified with the new device, and the session key
    changes (the level of trust in it did).
    """
    user = request.user
    assert isinstance(user, User)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        if device.confirmed or not device.verify_token(code):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = replace_backup_codes(user)
    request.session.cycle_key()
    otp_login(request, device)
    request.session[ENROLLED_SESSION_KEY] = True
    log.info("two-factor enrolled user=%s", user.pk)
    return codes


def replace_backup_codes(user: User) -> list[str]:
    """Give the user a fresh set of single-use backup codes, voiding the old ones."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, defaults={"name": "Backup codes", "confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        [StaticToken(device=device, token=code) for code in codes]
    )
    return codes


def verify(request: HttpRequest, code: str) -> Device | None:
    """Check a code against each of the user's devices; on success mark the session.

    Each device throttles its own failures (django-otp doubles the wait after each),
    so guessing six digits is not a practical attack.
    """
    user = request.user
    assert isinstance(user, User)
    code = normalise_code(code)
    if not (TOTP_PATTERN.fullmatch(code) or BACKUP_PATTERN.fullmatch(code)):
        return None
    matched = None
    with transaction.atomic():
        for device in devices_for_user(user, for_verify=True):
            if device.verify_token(code):
                matched = device
                break
    if matched is None:
        log.warning("two-factor code refused user=%s", user.pk)
        return None
    request.session.cycle_key()
    otp_login(request, matched)
    return matched


def throttled(user: User) -> bool:
    """Say whether every device is waiting out a throttle after wrong codes."""
    devices = list(devices_for_user(user))
    return bool(devices) and all(
        not device.verify_is_allowed()[0]
        for device in devices
        if hasattr(device, "verify_is_allowed")
    )


def reset_two_factor(user: User, *, by: str) -> int:
    """Remove a person's devices so they enrol again (recovery by a platform admin).

    Logged, with who did it; returns how many devices were removed.
    """
    removed = 0
    with transaction.atomic():
        for model in (TOTPDevice, StaticDevice, Passkey):
            _, per_model = model.objects.filter(user=user).delete()
            removed += per_model.get(model._meta.label, 0)
    log.warning("two-factor reset user=%s by=%s devices=%s", user.pk, by, removed)
    return removed
