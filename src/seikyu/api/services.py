"""API keys: created (secret shown once), looked up by hash, revoked."""

from __future__ import annotations

import datetime as dt
import hashlib

from seikyu.core.clock import real_now
from seikyu.core.errors import ResourceMissing
from seikyu.core.ids import new_id, new_secret

from .models import ApiKey

# ``last_used_at`` is bookkeeping for humans: writing it at most once a minute keeps a busy key
# from turning every read into a write.
_LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(*, livemode: bool, name: str = "") -> tuple[ApiKey, str]:
    """A new secret key; the returned secret is never stored and cannot be shown again."""
    secret = new_secret("sk_live" if livemode else "sk_test", 48)
    key = ApiKey.objects.create(
        id=new_id("key"),
        livemode=livemode,
        secret_hash=hash_secret(secret),
        redacted=f"{secret[:8]}…{secret[-4:]}",
        name=name,
        created=real_now(),
    )
    return key, secret


def revoke_api_key(key_id: str) -> ApiKey:
    key = ApiKey.objects.filter(id=key_id).first()
    if key is None:
        raise ResourceMissing("api key", key_id)
    if key.revoked_at is None:
        key.revoked_at = real_now()
        key.save(update_fields=["revoked_at"])
    return key


def find_api_key(secret: str) -> ApiKey | None:
    """The active key with this secret, or ``None``."""
    return ApiKey.objects.filter(secret_hash=hash_secret(secret), revoked_at__isnull=True).first()


def record_key_use(key: ApiKey) -> None:
    now = real_now()
    if key.last_used_at is None or now - key.last_used_at >= _LAST_USED_RESOLUTION:
        ApiKey.objects.filter(id=key.id).update(last_used_at=now)
        key.last_used_at = now
