"""Delivery: claim what is due, send it, record every attempt, retry or give up, disable endpoints
that keep failing.

At least once: a claim commits a lease (``next_attempt_at`` pushed past the longest the batch can
take) before anything is sent, and only a recorded 2xx marks a delivery done. A worker that dies
between the two leaves the delivery due again when its lease ends; it is then sent again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Coalesce

from seikyu.core.clock import real_now
from seikyu.events.models import Event
from seikyu.events.services import render_event
from seikyu.notifications.alerts import alert_team

from .models import Delivery, DeliveryAttempt, WebhookEndpoint
from .pending import adjust_pending_webhooks
from .schedule import next_attempt_after_failure, should_disable
from .sending import CONCURRENCY, TIMEOUT_SECONDS, Outcome, Outgoing, send_all

logger = logging.getLogger("seikyu.webhooks")

LEASE_MARGIN = dt.timedelta(seconds=60)
RECORD_EVERY = 100


@dataclass(frozen=True)
class _Claim:
    delivery_id: str
    endpoint_id: str
    event_id: str
    resend: bool
    lease_until: dt.datetime


def lease_for(batch_size: int) -> dt.timedelta:
    """Longer than a batch can take: every request waits for a thread, then up to the timeout."""
    rounds = math.ceil(batch_size / CONCURRENCY)
    return dt.timedelta(seconds=TIMEOUT_SECONDS * rounds) + LEASE_MARGIN


def deliver_due(limit: int = 500, *, now: dt.datetime | None = None) -> int:
    """Send up to ``limit`` due deliveries; returns how many attempts were made."""
    now = now or real_now()
    claims = claim_due(limit, now)
    if not claims:
        return 0
    started = time.monotonic()
    claims, requests = _requests(claims)
    sending = send_all(requests)
    # Outcomes are recorded a slice at a time while the rest of the batch is still being sent.
    for first in range(0, len(claims), RECORD_EVERY):
        part = slice(first, first + RECORD_EVERY)
        _record(claims[part], [future.result() for future in sending[part]], now, started)
    return len(claims)


def _locked[M: (Delivery, WebhookEndpoint)](query: QuerySet[M]) -> QuerySet[M]:
    # In id order, so workers recording overlapping batches take the row locks in the same order.
    query = query.order_by("id")
    return query.select_for_update(no_key=True) if connection.features.has_select_for_update else query


@transaction.atomic
def claim_due(limit: int, now: dt.datetime) -> list[_Claim]:
    """Lease up to ``limit`` due deliveries to this worker (committed before anything is sent)."""
    query = Delivery.objects.filter(next_attempt_at__lte=now).order_by("next_attempt_at", "id")
    if connection.features.has_select_for_update_skip_locked:
        query = query.select_for_update(skip_locked=True)
    rows = list(query.values_list("id", "endpoint_id", "event_id", "resend_requested")[:limit])
    if not rows:
        return []
    lease_until = now + lease_for(len(rows))
    Delivery.objects.filter(id__in=[row[0] for row in rows]).update(next_attempt_at=lease_until)
    return [_Claim(*row, lease_until=lease_until) for row in rows]


def _requests(claims: Sequence[_Claim]) -> tuple[list[_Claim], list[Outgoing]]:
    """The signed requests to make; claims whose endpoint was deleted meanwhile are dropped."""
    endpoints = {
        endpoint_id: (url, secret)
        for endpoint_id, url, secret in WebhookEndpoint.objects.filter(
            id__in={c.endpoint_id for c in claims}
        ).values_list("id", "url", "secret")
    }
    bodies = {
        event.id: json.dumps(render_event(event), ensure_ascii=False).encode()
        for event in Event.objects.filter(id__in={c.event_id for c in claims})
    }
    kept = [c for c in claims if c.endpoint_id in endpoints and c.event_id in bodies]
    requests = [Outgoing(endpoints[c.endpoint_id][0], bodies[c.event_id], endpoints[c.endpoint_id][1]) for c in kept]
    return kept, requests


_ENDPOINT_FIELDS = ["failing_since", "deliveries_given_up"]


@transaction.atomic
def _record(claims: Sequence[_Claim], outcomes: Sequence[Outcome], now: dt.datetime, started: float) -> None:
    """Keep every attempt and move each delivery on. A delivery whose ``next_attempt_at`` no longer
    holds our lease was resent or re-claimed meanwhile: its attempt and a success are still
    recorded, but its schedule is left to whoever changed it.

    Attempts keep their own start times; a delivery's summary times are the pass's ``now``, so
    the deliveries of a pass that end alike are moved on by one UPDATE."""
    endpoints = {e.id: e for e in _locked(WebhookEndpoint.objects.filter(id__in={c.endpoint_id for c in claims}))}
    deliveries = {d.id: d for d in _locked(Delivery.objects.filter(id__in=[c.delivery_id for c in claims]))}
    before = {e.id: (e.failing_since, e.deliveries_given_up) for e in endpoints.values()}
    attempts = []
    changes: dict[frozenset[tuple[str, Any]], list[str]] = defaultdict(list)
    delivered: Counter[str] = Counter()
    failed_endpoints: set[str] = set()
    ordered = sorted(zip(claims, outcomes, strict=True), key=lambda pair: pair[1].started)
    for claim, outcome in ordered:
        delivery = deliveries.get(claim.delivery_id)
        if delivery is None:
            continue  # its endpoint was deleted while we were sending
        endpoint = endpoints[delivery.endpoint_id]
        attempts.append(
            DeliveryAttempt(
                delivery_id=delivery.id,
                started_at=now + dt.timedelta(seconds=outcome.started - started),
                status_code=outcome.status_code,
                error=outcome.error,
                latency_ms=outcome.latency_ms,
                response_excerpt=outcome.excerpt,
                resend=claim.resend,
            )
        )
        change: dict[str, Any] = {"last_attempt_at": now, "last_status_code": outcome.status_code}
        ours = delivery.next_attempt_at == claim.lease_until
        if ours:
            change["resend_requested"] = False
        if outcome.ok:
            if delivery.status != Delivery.Status.SUCCEEDED:
                change |= {"status": Delivery.Status.SUCCEEDED, "delivered_at": now}
                delivered[delivery.event_id] += 1
            if ours:
                change["next_attempt_at"] = None
            endpoint.failing_since = None
            endpoint.deliveries_given_up = 0
        else:
            endpoint.failing_since = endpoint.failing_since or now
            failed_endpoints.add(endpoint.id)
            if ours and delivery.status != Delivery.Status.PENDING:
                change["next_attempt_at"] = None  # a resend of a finished delivery is not retried
            elif ours:
                change["next_attempt_at"] = next_attempt_after_failure(
                    livemode=delivery.livemode,
                    attempts_made=delivery.attempt_count + 1,
                    first_attempt_at=delivery.first_attempt_at or now,
                    now=now,
                )
                if change["next_attempt_at"] is None:
                    change["status"] = Delivery.Status.FAILED
                    endpoint.deliveries_given_up += 1
        changes[frozenset(change.items())].append(delivery.id)
    DeliveryAttempt.objects.bulk_create(attempts)
    for change_items, ids in changes.items():
        Delivery.objects.filter(id__in=ids).update(
            attempt_count=F("attempt_count") + 1,
            first_attempt_at=Coalesce(F("first_attempt_at"), Value(now)),
            **dict(change_items),
        )
    changed = [e for e in endpoints.values() if (e.failing_since, e.deliveries_given_up) != before[e.id]]
    WebhookEndpoint.objects.bulk_update(changed, _ENDPOINT_FIELDS)
    adjust_pending_webhooks({event_id: -count for event_id, count in delivered.items()})
    for endpoint in endpoints.values():
        if (
            endpoint.id in failed_endpoints
            and endpoint.status == WebhookEndpoint.Status.ENABLED
            and should_disable(
                failing_since=endpoint.failing_since, deliveries_given_up=endpoint.deliveries_given_up, now=now
            )
        ):
            disable_failing_endpoint(endpoint)


def stop_pending_deliveries(endpoint: WebhookEndpoint) -> None:
    """A disabled endpoint gets nothing more: what was waiting is marked failed (still resendable)."""
    Delivery.objects.filter(endpoint_id=endpoint.id, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.FAILED, next_attempt_at=None, resend_requested=False
    )


def disable_failing_endpoint(endpoint: WebhookEndpoint) -> None:
    since = endpoint.failing_since.isoformat() if endpoint.failing_since else "?"
    reason = (
        f"Every delivery attempt since {since} failed "
        f"({endpoint.deliveries_given_up} deliveries given up after all retries)."
    )
    endpoint.status = WebhookEndpoint.Status.DISABLED
    endpoint.disabled_reason = reason
    endpoint.save(update_fields=["status", "disabled_reason"])
    stop_pending_deliveries(endpoint)
    mode = "live" if endpoint.livemode else "test"
    subject = f"Webhook endpoint disabled: {endpoint.url}"
    body = (
        f"Seikyu disabled the {mode}-mode webhook endpoint {endpoint.id} ({endpoint.url}).\n{reason}\n"
        f"Fix the receiver, re-enable the endpoint (POST /v1/webhook_endpoints/{endpoint.id} with "
        "disabled=false) and resend the deliveries it missed (POST /v1/webhook_deliveries/{id}/resend)."
    )
    # Queued in this transaction (the email outbox): the alert exists exactly when the endpoint is disabled.
    disabled_at = int(real_now().timestamp())
    alert_team(
        subject, body, livemode=endpoint.livemode, dedupe_key=f"webhook_endpoint_disabled:{endpoint.id}:{disabled_at}"
    )
