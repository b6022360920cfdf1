"""API tokens: made with a high-entropy secret, stored as its SHA-256, shown once.

A token's key is 32 random bytes, so a plain SHA-256 is enough to make the stored
value useless to whoever reads the database (there is no dictionary to try), and
it lets a request find its token by an indexed lookup. Tokens expire after
``API_TOKEN_DAYS`` and can be revoked; their owners list and revoke their own.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from accounts.models import ApiToken, User
from workforce.audit import record_audit

KEY_PREFIX = "sus_"
# How often the last-used time is written: a busy tool should not write per request.
LAST_USED_EVERY = timedelta(minutes=1)


def hash_key(key: str) -> str:
    """Return the value stored for a key: its SHA-256, in hex."""
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def issue_token(
    *, user: User, name: str = "", now: datetime | None = None
) -> tuple[ApiToken, str]:
    """Make a token for the user; return it and its key (the only time it exists)."""
    now = now or timezone.now()
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        prefix=key[:10],
        key_hash=hash_key(key),
        created_at=now,
        expires_at=now + timedelta(days=settings.API_TOKEN_DAYS),
    )
    record_audit(
        actor=user,
        action="sustain.api_token.create",
        instance=token,
        summary=f"API token {token.prefix}… created, "
        f"expiring {token.expires_at:%Y-%m-%d}",
    )
    return token, key


@transaction.atomic
def revoke_token(*, token: ApiToken, actor: User, now: datetime | None = None) -> bool:
    """Revoke one token; say whether it was still live."""
    now = now or timezone.now()
    changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=now
    )
    if changed:
        record_audit(
            actor=actor,
            action="sustain.api_token.revoke",
            instance=token,
            summary=f"API token {token.prefix}… revoked",
        )
    return bool(changed)


def revoke_all_tokens(*, user_ids: Iterable[int], now: datetime) -> int:
    """Revoke every live token of these users (a leaver's, say); count them."""
    return ApiToken.objects.filter(
        user_id__in=list(user_ids), revoked_at__isnull=True
    ).update(revoked_at=now)


class HashedTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``, checked against the stored hashes.

    An unknown, revoked or expired key, or an inactive owner, answers 401.
    """

    def authenticate_credentials(self, key: str) -> tuple[User, ApiToken]:
        now = timezone.now()
        token = (
            ApiToken.objects.live(now=now)
            .select_related("user")
            .filter(key_hash=hash_key(key))
            .first()
        )
        if token is None or not token.user.is_active:
            raise AuthenticationFailed("Invalid, expired or revoked token.")
        if token.last_used_at is None or token.last_used_at < now - LAST_USED_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
