"""Webhook endpoints (create, update, delete), manual resend, and the worker's entry point.

Functions take plain data (the API passes the parameters the caller sent; ``None`` means "unset")
and the key's ``livemode``, validate everything before writing, and write in one transaction.
Fan-out (``fanout.py``) and delivery (``delivery.py``) are the other writers of this app's tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Count

from seikyu.billing.services.catalog import merge_metadata
from seikyu.core.clock import real_now
from seikyu.core.errors import InvalidRequest, ResourceMissing
from seikyu.core.ids import new_id

from .delivery import deliver_due, stop_pending_deliveries
from .event_types import ALL, EVENT_TYPES
from .fanout import fan_out_events
from .models import Delivery, WebhookEndpoint
from .pending import adjust_pending_webhooks
from .signing import new_signing_secret

MAX_ENDPOINTS_PER_MODE = 16
MAX_URL_LENGTH = 2048

__all__ = [
    "create_endpoint",
    "delete_endpoint",
    "deliver_due",
    "fan_out_events",
    "resend_delivery",
    "run_webhook_work",
    "update_endpoint",
]


def run_webhook_work(*, limit: int = 500, now: dt.datetime | None = None) -> int:
    """One worker pass: fan out new events, then send what is due. Returns the work done (events
    fanned out + attempts made); 0 means idle."""
    return fan_out_events(limit, now=now) + deliver_due(limit, now=now)


def _validated_url(value: str | None) -> str:
    url = (value or "").strip()
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in url)
        or len(url) > MAX_URL_LENGTH
    ):
        raise InvalidRequest(
            f"Invalid URL: {url!r}. An endpoint URL must be an absolute http:// or https:// URL with a host "
            f"(at most {MAX_URL_LENGTH} characters).",
            code="url_invalid",
            param="url",
        )
    return url


def _validated_events(value: list[str] | None) -> list[str]:
    if not value:
        raise InvalidRequest(
            "enabled_events must list at least one event type, or '*' for all.",
            code="parameter_missing",
            param="enabled_events",
        )
    for index, event_type in enumerate(value):
        if event_type != ALL and event_type not in EVENT_TYPES:
            raise InvalidRequest(
                f"Invalid enabled_events[{index}]: {event_type!r} is not an event type. "
                "List exact types such as 'invoice.paid', or '*' for all.",
                param=f"enabled_events[{index}]",
            )
    return list(dict.fromkeys(value))


def _load(endpoint_id: str, *, livemode: bool) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update(no_key=True).filter(id=endpoint_id, livemode=livemode).first()
    if endpoint is None:
        raise ResourceMissing("webhook_endpoint", endpoint_id)
    return endpoint


@transaction.atomic
def create_endpoint(data: Mapping[str, Any], *, livemode: bool) -> WebhookEndpoint:
    """A new endpoint; its ``secret`` is readable from the returned object (show it once)."""
    url = _validated_url(data.get("url"))
    enabled_events = _validated_events(data.get("enabled_events"))
    metadata = merge_metadata({}, data.get("metadata") or {})
    if WebhookEndpoint.objects.filter(livemode=livemode).count() >= MAX_ENDPOINTS_PER_MODE:
        mode = "live" if livemode else "test"
        raise InvalidRequest(
            f"You have reached the maximum of {MAX_ENDPOINTS_PER_MODE} {mode} webhook endpoints.",
            code="webhook_endpoint_limit_reached",
        )
    return WebhookEndpoint.objects.create(
        id=new_id("we"),
        livemode=livemode,
        created=real_now(),
        url=url,
        description=data.get("description"),
        enabled_events=enabled_events,
        secret=new_signing_secret(),
        api_version=data.get("api_version"),
        metadata=metadata,
    )


@transaction.atomic
def update_endpoint(endpoint_id: str, data: Mapping[str, Any], *, livemode: bool) -> WebhookEndpoint:
    endpoint = _load(endpoint_id, livemode=livemode)
    if "url" in data:
        endpoint.url = _validated_url(data["url"])
    if "enabled_events" in data:
        endpoint.enabled_events = _validated_events(data["enabled_events"])
    if "description" in data:
        endpoint.description = data["description"]
    if "metadata" in data:
        endpoint.metadata = merge_metadata(endpoint.metadata, data["metadata"])
    if data.get("disabled") is True and endpoint.status == WebhookEndpoint.Status.ENABLED:
        endpoint.status = WebhookEndpoint.Status.DISABLED
        endpoint.disabled_reason = "Disabled through the API."
        stop_pending_deliveries(endpoint)
    elif data.get("disabled") is False and endpoint.status == WebhookEndpoint.Status.DISABLED:
        # A fresh start: the failures that disabled it no longer count.
        endpoint.status = WebhookEndpoint.Status.ENABLED
        endpoint.disabled_reason = None
        endpoint.failing_since = None
        endpoint.deliveries_given_up = 0
    endpoint.save()
    return endpoint


@transaction.atomic
def delete_endpoint(endpoint_id: str, *, livemode: bool) -> WebhookEndpoint:
    """Delete the endpoint with its deliveries; their events stop counting them as pending."""
    endpoint = _load(endpoint_id, livemode=livemode)
    undelivered = (
        Delivery.objects.filter(endpoint_id=endpoint.id)
        .exclude(status=Delivery.Status.SUCCEEDED)
        .values("event_id")
        .annotate(n=Count("id"))
        .values_list("event_id", "n")
    )
    adjust_pending_webhooks({event_id: -n for event_id, n in undelivered})
    WebhookEndpoint.objects.filter(id=endpoint.id).delete()
    return endpoint


@transaction.atomic
def resend_delivery(delivery_id: str, *, livemode: bool) -> Delivery:
    """Ask for a new attempt now, whatever the delivery's state; a worker sends it at once. A
    failed resend of a finished delivery is not retried."""
    delivery = Delivery.objects.select_for_update(no_key=True).filter(id=delivery_id, livemode=livemode).first()
    if delivery is None:
        raise ResourceMissing("webhook_delivery", delivery_id)
    delivery.next_attempt_at = real_now()
    delivery.resend_requested = True
    delivery.save(update_fields=["next_attempt_at", "resend_requested"])
    return delivery
