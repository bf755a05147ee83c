"""``/v1/events``: the event log, read-only."""

from __future__ import annotations

from typing import Annotated, Any

from django.db.models import Q
from pydantic import Field as P

from seikyu.api.params import ListParams, Params
from seikyu.api.query import fetch, paginate
from seikyu.api.routing import ApiRequest, Router
from seikyu.events.models import Event
from seikyu.events.services import render_event

router = Router()


class EventList(ListParams):
    type: str | None = None
    types: Annotated[list[str], P(max_length=20)] | None = None
    delivery_success: bool | None = None


def type_filter(pattern: str) -> Q:
    """``invoice.*`` matches every invoice event; anything else matches exactly."""
    if pattern.endswith(".*"):
        return Q(type__startswith=pattern[:-1])
    if pattern == "*":
        return Q()
    return Q(type=pattern)


@router.get("/v1/events/{id}", returns="event")
def retrieve_event(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Retrieve an event."""
    return render_event(fetch(req, Event, id))


@router.get("/v1/events", returns="list")
def list_events(req: ApiRequest, params: EventList) -> dict[str, Any]:
    """List events, newest first (filter by type, e.g. ``invoice.*``, or types[])."""
    qs = Event.objects.all()
    if params.type:
        qs = qs.filter(type_filter(params.type))
    if params.types:
        combined = Q()
        for pattern in params.types:
            combined |= type_filter(pattern)
        qs = qs.filter(combined)
    if params.delivery_success is not None:
        # Counted as delivered when no webhook delivery is still pending.
        qs = qs.filter(pending_webhooks=0) if params.delivery_success else qs.filter(pending_webhooks__gt=0)
    return paginate(req, qs, params, render_event)
