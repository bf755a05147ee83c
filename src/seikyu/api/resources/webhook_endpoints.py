"""``/v1/webhook_endpoints`` as Stripe's, plus the Seikyu extensions for reading and resending
deliveries: ``/v1/webhook_endpoints/{id}/deliveries`` and ``/v1/webhook_deliveries/{id}[/resend]``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field as P

from seikyu.api.params import ListParams, Metadata, Params
from seikyu.api.query import fetch, paginate
from seikyu.api.routing import ApiRequest, Router
from seikyu.webhooks import services
from seikyu.webhooks.models import Delivery, WebhookEndpoint
from seikyu.webhooks.render import render_delivery, render_webhook_endpoint

router = Router()

Description = Annotated[str, P(max_length=5000)]


class EndpointCreate(Params):
    url: str
    enabled_events: list[str]
    description: Description | None = None
    metadata: Metadata | None = None
    api_version: Annotated[str, P(max_length=40)] | None = None


class EndpointUpdate(Params):
    url: str | None = None
    enabled_events: list[str] | None = None
    description: Description | None = None
    metadata: Metadata | None = None
    disabled: bool | None = None


class DeliveryList(ListParams):
    status: Literal["pending", "succeeded", "failed"] | None = None
    event: str | None = None


@router.post("/v1/webhook_endpoints", returns="webhook_endpoint")
def create_webhook_endpoint(req: ApiRequest, params: EndpointCreate) -> dict[str, Any]:
    """Create a webhook endpoint (its signing ``secret`` is returned only here)."""
    endpoint = services.create_endpoint(params.given(), livemode=req.livemode)
    return render_webhook_endpoint(endpoint, with_secret=True)


@router.get("/v1/webhook_endpoints/{id}", returns="webhook_endpoint")
def retrieve_webhook_endpoint(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Retrieve a webhook endpoint."""
    return render_webhook_endpoint(fetch(req, WebhookEndpoint, id))


@router.post("/v1/webhook_endpoints/{id}", returns="webhook_endpoint")
def update_webhook_endpoint(req: ApiRequest, params: EndpointUpdate, id: str) -> dict[str, Any]:
    """Update a webhook endpoint (``disabled=true`` stops its deliveries)."""
    return render_webhook_endpoint(services.update_endpoint(id, params.given(), livemode=req.livemode))


@router.delete("/v1/webhook_endpoints/{id}", returns="webhook_endpoint")
def delete_webhook_endpoint(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Delete a webhook endpoint and its deliveries."""
    endpoint = services.delete_endpoint(id, livemode=req.livemode)
    return {"id": endpoint.id, "object": "webhook_endpoint", "deleted": True}


@router.get("/v1/webhook_endpoints", returns="list")
def list_webhook_endpoints(req: ApiRequest, params: ListParams) -> dict[str, Any]:
    """List webhook endpoints, newest first."""
    return paginate(req, WebhookEndpoint.objects.all(), params, render_webhook_endpoint)


@router.get("/v1/webhook_endpoints/{id}/deliveries", returns="list")
def list_webhook_deliveries(req: ApiRequest, params: DeliveryList, id: str) -> dict[str, Any]:
    """Seikyu extension: list an endpoint's deliveries, newest first (filter by status or event)."""
    endpoint = fetch(req, WebhookEndpoint, id)
    deliveries = Delivery.objects.filter(endpoint_id=endpoint.id)
    if params.status is not None:
        deliveries = deliveries.filter(status=params.status)
    if params.event is not None:
        deliveries = deliveries.filter(event_id=params.event)
    return paginate(req, deliveries, params, render_delivery)


@router.get("/v1/webhook_deliveries/{id}", returns="webhook_delivery")
def retrieve_webhook_delivery(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Seikyu extension: retrieve a webhook delivery with every attempt made (oldest first)."""
    delivery = fetch(req, Delivery, id)
    return render_delivery(delivery, delivery.attempts.order_by("started_at", "id"))


@router.post("/v1/webhook_deliveries/{id}/resend", returns="webhook_delivery")
def resend_webhook_delivery(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Seikyu extension: send a delivery again now, even if it succeeded (a worker sends it)."""
    delivery = services.resend_delivery(id, livemode=req.livemode)
    return render_delivery(delivery, delivery.attempts.order_by("started_at", "id"))
