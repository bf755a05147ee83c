"""The only writer of events.

``emit`` and ``emit_many`` must be called inside the transaction that makes the change, with the
object already rendered in its wire shape: the event log is the outbox that webhooks, emails,
automation and analytics read after commit. Handlers registered with ``on`` run after commit, in
the worker or the request, and must be idempotent (they may see an event twice).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from seikyu.core.ids import new_id

from .context import current_request
from .models import Event

API_VERSION = "2026-10-28.endive"

Handler = Callable[[Event], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)


@dataclass(frozen=True)
class PendingEvent:
    type: str
    object: Mapping[str, Any]
    created: dt.datetime
    livemode: bool
    previous_attributes: Mapping[str, Any] | None = None


def on(event_type: str) -> Callable[[Handler], Handler]:
    """Register a handler for an event type (``*`` for all) run after the emitting commit."""

    def register(handler: Handler) -> Handler:
        _handlers[event_type].append(handler)
        return handler

    return register


def emit(
    event_type: str,
    obj: Mapping[str, Any],
    *,
    created: dt.datetime,
    livemode: bool,
    previous_attributes: Mapping[str, Any] | None = None,
) -> Event:
    return emit_many([PendingEvent(event_type, obj, created, livemode, previous_attributes)])[0]


def emit_many(pending: Iterable[PendingEvent]) -> list[Event]:
    """Write many events with one INSERT (the bill run emits thousands per batch)."""
    request = current_request()
    events = []
    for item in pending:
        data: dict[str, Any] = {"object": dict(item.object)}
        if item.previous_attributes:
            data["previous_attributes"] = dict(item.previous_attributes)
        events.append(
            Event(
                id=new_id("evt"),
                livemode=item.livemode,
                type=item.type,
                created=item.created,
                api_version=API_VERSION,
                object_id=str(item.object.get("id") or ""),
                data=data,
                request_id=request.request_id if request else None,
                idempotency_key=request.idempotency_key if request else None,
            )
        )
    if not events:
        return []
    Event.objects.bulk_create(events)
    if _handlers:
        transaction.on_commit(lambda: _dispatch(events))
    return events


def _dispatch(events: list[Event]) -> None:
    for event in events:
        for handler in (*_handlers.get(event.type, ()), *_handlers.get("*", ())):
            handler(event)


def previous_attributes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level fields that changed, with their old values (Stripe's ``previous_attributes``).

    Nested objects are compared as a whole but reported only by the keys that changed, as Stripe
    does for e.g. ``invoice_settings``.
    """
    changed: dict[str, Any] = {}
    for key, old in before.items():
        new = after.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict) and old.get("object") != "list":
            changed[key] = {k: v for k, v in old.items() if new.get(k) != v} or old
        else:
            changed[key] = old
    return changed


def render_event(event: Event) -> dict[str, Any]:
    """An event in its wire shape."""
    return {
        "id": event.id,
        "object": "event",
        "api_version": event.api_version,
        "created": int(event.created.timestamp()),
        "data": event.data,
        "livemode": event.livemode,
        "pending_webhooks": event.pending_webhooks,
        "request": {"id": event.request_id, "idempotency_key": event.idempotency_key},
        "type": event.type,
    }
