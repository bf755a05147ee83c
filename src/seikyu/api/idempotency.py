"""``Idempotency-Key`` on POST: the first response is kept for 24 hours and replayed to retries.

The first request inserts a placeholder row in its own committed transaction before doing any
work, so a concurrent retry finds it and gets 409 (``idempotency_key_in_use``) instead of running
the change twice. The response is written into that row in the same transaction as the change
itself when the request succeeds, so "changed" and "remembered" commit together.

A request that dies before finishing (its process killed, its host gone) changed nothing: its
transaction rolled back. Its placeholder must not hold the key for 24 hours, so the request keeps
its placeholder row locked for as long as its transaction runs (``hold``). A retry that finds an
unfinished placeholder it can lock, left more than ``ABANDONED_AFTER`` ago, takes the key over
with a new claim token and runs; the old request, should it still be alive somewhere, finds its
token gone when it gets to ``hold`` and stops with 409, so a change never runs twice. (On
SQLite, where a request's transaction holds the whole database, the retry waits for the request
instead of finding its row locked.)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, OperationalError, transaction
from django.utils.crypto import get_random_string

from seikyu.core.clock import real_now
from seikyu.core.errors import Conflict, IdempotencyError, InvalidRequest

from .models import ApiKey, IdempotencyRecord

RETENTION = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 255
# How old an unfinished placeholder must be before a retry may take it over: its request commits
# it and then locks it at once, so a placeholder this old that nobody holds belongs to a request
# that died.
ABANDONED_AFTER = dt.timedelta(seconds=10)


@dataclass(frozen=True)
class Replay:
    status: int
    body: bytes


def fingerprint(method: str, path: str, params: dict[str, Any]) -> str:
    canonical = json.dumps([method, path, params], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Claim:
    """The key is this request's to run with: ``hold`` it in the request's transaction."""

    token: str


def begin(api_key: ApiKey, key: str, request_fingerprint: str) -> Replay | Claim:
    """Claim ``key`` for this request, or return the stored response to replay."""
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
            return _take_over(record)
        return _replay(record)
    token = get_random_string(32)
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(
                api_key=api_key, key=key, request_fingerprint=request_fingerprint, created=real_now(), claim=token
            )
    except IntegrityError:
        raise _in_use() from None
    return Claim(token)


def _take_over(record: IdempotencyRecord) -> Replay | Claim:
    """The key of an unfinished request: 409 while that request runs, else (it died) this one's."""
    with transaction.atomic():
        try:
            current = IdempotencyRecord.objects.select_for_update(nowait=True).filter(pk=record.pk).first()
        except OperationalError:  # locked: the request is running
            raise _in_use() from None
        if current is None:  # expired and removed meanwhile
            raise _in_use()
        if current.response_status is not None:  # it finished meanwhile (SQLite waits for it)
            return _replay(current)
        if current.created > real_now() - ABANDONED_AFTER:
            raise _in_use()
        current.claim = get_random_string(32)
        current.save(update_fields=["claim"])
    return Claim(current.claim)


def _replay(record: IdempotencyRecord) -> Replay:
    assert record.response_status is not None
    return Replay(record.response_status, bytes(record.response_body or b""))


def hold(api_key: ApiKey, key: str, claim: Claim) -> None:
    """Lock the key's placeholder until the request's transaction ends, so a retry can tell the
    request is running; 409 when a retry has taken the key over (this request was presumed dead)."""
    held = IdempotencyRecord.objects.select_for_update().filter(api_key=api_key, key=key, claim=claim.token)
    if held.values_list("pk", flat=True).first() is None:
        raise _in_use()


def finish(api_key: ApiKey, key: str, claim: Claim, status: int, body: bytes) -> None:
    """Store the response, unless the key has gone to a retry meanwhile."""
    IdempotencyRecord.objects.filter(api_key=api_key, key=key, claim=claim.token).update(
        response_status=status, response_body=body
    )


def _in_use() -> Conflict:
    return Conflict(
        "There is currently another in-progress request using this Idempotency Key (that probably means you "
        "submitted twice, and that's fine). Please try again later.",
        code="idempotency_key_in_use",
    )
