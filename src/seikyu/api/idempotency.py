"""``Idempotency-Key`` on POST: the first response is kept for 24 hours and replayed to retries.

The first request inserts a placeholder row in its own committed transaction before doing any
work, so a concurrent retry finds it and gets 409 (``idempotency_key_in_use``) instead of running
the change twice. The response is written into that row in the same transaction as the change
itself when the request succeeds, so "changed" and "remembered" commit together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from seikyu.core.clock import real_now
from seikyu.core.errors import Conflict, IdempotencyError, InvalidRequest

from .models import ApiKey, IdempotencyRecord

RETENTION = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Replay:
    status: int
    body: bytes


def fingerprint(method: str, path: str, params: dict[str, Any]) -> str:
    canonical = json.dumps([method, path, params], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def begin(api_key: ApiKey, key: str, request_fingerprint: str) -> Replay | None:
    """Claim ``key`` for this request (``None``) or return the stored response to replay."""
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidRequest(
            f"Invalid Idempotency-Key: must be at most {MAX_KEY_LENGTH} characters", param="Idempotency-Key"
        )
    record = IdempotencyRecord.objects.filter(api_key=api_key, key=key).first()
    if record is not None and record.created < real_now() - RETENTION:
        record.delete()
        record = None
    if record is not None:
        if record.request_fingerprint != request_fingerprint:
            raise IdempotencyError(
                "Keys for idempotent requests can only be used with the same parameters they were first used "
                f"with. Try using a key other than '{key}' if you meant to execute a different request."
            )
        if record.response_status is None:
            raise _in_use()
        return Replay(record.response_status, bytes(record.response_body or b""))
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(
                api_key=api_key, key=key, request_fingerprint=request_fingerprint, created=real_now()
            )
    except IntegrityError:
        raise _in_use() from None
    return None


def finish(api_key: ApiKey, key: str, status: int, body: bytes) -> None:
    IdempotencyRecord.objects.filter(api_key=api_key, key=key).update(response_status=status, response_body=body)


def abandon(api_key: ApiKey, key: str) -> None:
    """Forget the claim: the request was rejected before it could change anything."""
    IdempotencyRecord.objects.filter(api_key=api_key, key=key, response_status__isnull=True).delete()


def _in_use() -> Conflict:
    return Conflict(
        "There is currently another in-progress request using this Idempotency Key (that probably means you "
        "submitted twice, and that's fine). Please try again later.",
        code="idempotency_key_in_use",
    )
