"""Wire shapes: ``webhook_endpoint`` as Stripe's, and the Seikyu extensions ``webhook_delivery``
and its attempts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from seikyu.core.clock import to_unix

from .models import Delivery, DeliveryAttempt, WebhookEndpoint


def render_webhook_endpoint(endpoint: WebhookEndpoint, *, with_secret: bool = False) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "id": endpoint.id,
        "object": "webhook_endpoint",
        "api_version": endpoint.api_version,
        "application": None,
        "created": to_unix(endpoint.created),
        "description": endpoint.description,
        "enabled_events": list(endpoint.enabled_events),
        "livemode": endpoint.livemode,
        "metadata": dict(endpoint.metadata),
        "status": endpoint.status,
        "url": endpoint.url,
    }
    if with_secret:
        wire["secret"] = endpoint.secret
    return wire


def render_attempt(attempt: DeliveryAttempt) -> dict[str, Any]:
    return {
        "object": "webhook_delivery_attempt",
        "started_at": to_unix(attempt.started_at),
        "status_code": attempt.status_code,
        "error": attempt.error,
        "latency_ms": attempt.latency_ms,
        "response_body": attempt.response_excerpt,
        "succeeded": attempt.succeeded,
        "trigger": "resend" if attempt.resend else "automatic",
    }


def render_delivery(delivery: Delivery, attempts: Iterable[DeliveryAttempt] | None = None) -> dict[str, Any]:
    """``attempts`` (oldest first) are included when given: a single delivery shows its history."""
    wire: dict[str, Any] = {
        "id": delivery.id,
        "object": "webhook_delivery",
        "attempt_count": delivery.attempt_count,
        "created": to_unix(delivery.created),
        "delivered_at": to_unix(delivery.delivered_at),
        "event": delivery.event_id,
        "event_type": delivery.event_type,
        "last_attempt_at": to_unix(delivery.last_attempt_at),
        "last_status_code": delivery.last_status_code,
        "livemode": delivery.livemode,
        "next_attempt": to_unix(delivery.next_attempt_at),
        "status": delivery.status,
        "webhook_endpoint": delivery.endpoint_id,
    }
    if attempts is not None:
        wire["attempts"] = [render_attempt(a) for a in attempts]
    return wire
