"""Passkeys (WebAuthn) as a second factor: register one, then sign in with it.

The relying party is the site's own address (``SITE_URL``): its host is the RP ID and
its origin the only origin a response may come from. Moving the site to another
domain therefore strands existing passkeys; people enrol again (or use a backup code).

Each ceremony's challenge is kept in the session and spent on first use, so a response
cannot be replayed, and the authenticator's counter must go up on each sign-in.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp import login as otp_login
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidCBORData,
    InvalidJSONStructure,
    InvalidRegistrationResponse,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from accounts.models import Passkey, User

log = logging.getLogger("sustain.security")

REGISTER_CHALLENGE = "sustain_passkey_register_challenge"
SIGN_IN_CHALLENGE = "sustain_passkey_sign_in_challenge"
RP_NAME = "Sustain"


class PasskeyError(Exception):
    """A passkey response was refused; the message is safe to show."""


def relying_party() -> tuple[str, str]:
    """Return the RP ID (the site's host) and the one origin responses must carry."""
    parts = urlsplit(settings.SITE_URL)
    return parts.hostname or "", f"{parts.scheme}://{parts.netloc}"


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(id=bytes(key.credential_id))
        for key in Passkey.objects.filter(user=user, confirmed=True)
    ]


def registration_options(request: HttpRequest, user: User) -> str:
    """Start registering a passkey: return the browser's options as JSON."""
    rp_id, _ = relying_party()
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=RP_NAME,
        user_id=f"sustain-user-{user.pk}".encode(),
        user_name=user.email or user.username,
        user_display_name=user.get_full_name() or user.username,
        exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    request.session[REGISTER_CHALLENGE] = _b64(options.challenge)
    return options_to_json(options)


def register(
    request: HttpRequest, user: User, *, response: str, name: str, now: datetime
) -> Passkey:
    """Check the browser's registration response and store the new passkey."""
    challenge = request.session.pop(REGISTER_CHALLENGE, None)
    if not challenge:
        raise PasskeyError("Start again: the request to add a passkey ran out.")
    rp_id, origin = relying_party()
    try:
        verified = verify_registration_response(
            credential=_credential(response),
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (
        InvalidRegistrationResponse,
        InvalidJSONStructure,
        InvalidCBORData,
        ValueError,
    ) as error:
        log.warning("passkey registration refused user=%s: %s", user.pk, error)
        raise PasskeyError("The passkey could not be added. Try again.") from error
    transports = _transports(response)
    passkey = Passkey.objects.create(
        user=user,
        name=(name or "Passkey")[:64],
        confirmed=True,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=transports,
        created_at=now,
    )
    log.info("passkey registered user=%s passkey=%s", user.pk, passkey.pk)
    return passkey


def authentication_options(request: HttpRequest, user: User) -> str:
    """Start a passkey sign-in for the signed-in person: return options as JSON."""
    rp_id, _ = relying_party()
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=_descriptors(user),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    request.session[SIGN_IN_CHALLENGE] = _b64(options.challenge)
    return options_to_json(options)


def verify(
    request: HttpRequest, user: User, *, response: str, now: datetime
) -> Passkey:
    """Check a passkey response; on success mark the session verified with it."""
    challenge = request.session.pop(SIGN_IN_CHALLENGE, None)
    if not challenge:
        raise PasskeyError("Start again: the passkey request ran out.")
    credential = _credential(response)
    rp_id, origin = relying_party()
    with transaction.atomic():
        try:
            raw_id = base64url_to_bytes(str(credential.get("rawId", "")))
        except ValueError as error:
            raise PasskeyError("That passkey is not registered to you.") from error
        # Locked, so two responses racing cannot both use the same count.
        passkey = (
            Passkey.objects.select_for_update()
            .filter(user=user, confirmed=True, credential_id=raw_id)
            .first()
        )
        if passkey is None:
            log.warning("passkey unknown user=%s", user.pk)
            raise PasskeyError("That passkey is not registered to you.")
        try:
            verified = verify_authentication_response(
                credential=credential,
                expected_challenge=base64url_to_bytes(challenge),
                expected_rp_id=rp_id,
                expected_origin=origin,
                credential_public_key=bytes(passkey.public_key),
                credential_current_sign_count=passkey.sign_count,
            )
        except (
            InvalidAuthenticationResponse,
            InvalidJSONStructure,
            InvalidCBORData,
            ValueError,
        ) as error:
            log.warning(
                "passkey refused user=%s passkey=%s: %s", user.pk, passkey.pk, error
            )
            raise PasskeyError("The passkey was not accepted. Try again.") from error
        passkey.sign_count = verified.new_sign_count
        passkey.last_used_at = now
        passkey.save(update_fields=["sign_count", "last_used_at"])
    request.session.cycle_key()
    otp_login(request, passkey)
    return passkey


def _credential(response: str) -> dict[str, Any]:
    try:
        credential = json.loads(response)
    except ValueError as error:
        raise PasskeyError("The browser's answer was not readable.") from error
    if not isinstance(credential, dict):
        raise PasskeyError("The browser's answer was not readable.")
    return credential


def _transports(response: str) -> list[str]:
    transports = _credential(response).get("response", {}).get("transports", [])
    if not isinstance(transports, list):
        return []
    return [str(t)[:32] for t in transports[:8]]


def _b64(data: bytes) -> str:
    from webauthn.helpers import bytes_to_base64url

    return bytes_to_base64url(data)


class PasskeyRemovalRefused(Exception):
    """Removing this passkey would leave a person who must have one without any."""


def second_factors(user: User) -> int:
    """Count the user's confirmed second factors: passkeys and authenticator apps.

    Backup codes are not counted: they are the way back when a factor is lost.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return (
        Passkey.objects.filter(user=user, confirmed=True).count()
        + TOTPDevice.objects.filter(user=user, confirmed=True).count()
    )


@transaction.atomic
def remove_passkey(*, user: User, passkey_id: int) -> Passkey:
    """Remove one of the user's own passkeys; audited.

    Raises ``Passkey.DoesNotExist`` for a passkey that is not theirs, and
    ``PasskeyRemovalRefused`` when it is the last second factor of someone whose
    role requires one. Removing anyone else's last factor also removes their backup
    codes, so they are no longer asked for a second factor they chose to drop.
    """
    from django_otp.plugins.otp_static.models import StaticDevice

    from accounts.two_factor import must_enrol
    from workforce.audit import record_audit

    # One removal at a time per person, so two at once cannot both be "not the last".
    # (The row read here, not ``request.user``, is what the audit entry names: a
    # lazy request user is not a model Wagtail's log recognises.)
    user = User.objects.select_for_update().get(pk=user.pk)
    passkey = Passkey.objects.get(user=user, pk=passkey_id, confirmed=True)
    if second_factors(user) <= 1:
        if must_enrol(user):
            raise PasskeyRemovalRefused(
                "You cannot remove your only passkey: your role needs two-factor "
                "authentication. Add another passkey first, then remove this one."
            )
        StaticDevice.objects.filter(user=user).delete()
    passkey_pk = passkey.pk
    passkey.delete()
    record_audit(
        actor=user,
        action="sustain.passkey.remove",
        instance=user,
        summary="Passkey removed",
        data={"passkey": passkey_pk},
    )
    log.info("passkey removed user=%s passkey=%s", user.pk, passkey_pk)
    return passkey
