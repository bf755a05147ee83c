"""``/v1/subscription_items``: items changed through the same path as subscription updates."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field as P

from seikyu.api.params import ListParams, Metadata, Params
from seikyu.api.query import fetch, paginate
from seikyu.api.routing import ApiRequest, Router
from seikyu.billing.models import SubscriptionItem
from seikyu.billing.render.subscriptions import render_subscription_item, render_subscription_items
from seikyu.billing.services import subscriptions

router = Router()

ProrationBehavior = Literal["create_prorations", "always_invoice", "none"]
PaymentBehavior = Literal["allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete"]


class ItemFields(Params):
    price: str | None = None
    quantity: Annotated[int, P(ge=0)] | None = None
    tax_rates: list[str] | None = None
    metadata: Metadata | None = None
    proration_behavior: ProrationBehavior | None = None
    proration_date: int | None = None
    payment_behavior: PaymentBehavior | None = None
    off_session: bool | None = None


class ItemCreate(ItemFields):
    subscription: str


class ItemDelete(Params):
    proration_behavior: ProrationBehavior | None = None
    proration_date: int | None = None
    clear_usage: bool | None = None


class ItemList(ListParams):
    subscription: str


def _items() -> Any:
    return SubscriptionItem.objects.select_related("price", "subscription")


@router.post("/v1/subscription_items", returns="subscription_item")
def create_subscription_item(req: ApiRequest, params: ItemCreate) -> dict[str, Any]:
    """Add an item to a subscription (prorated like a subscription update)."""
    item = subscriptions.create_subscription_item(params.given(), livemode=req.livemode)
    return render_subscription_item(item)


@router.get("/v1/subscription_items/{id}", returns="subscription_item")
def retrieve_subscription_item(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Retrieve a subscription item."""
    return render_subscription_item(fetch(req, _items(), id, kind="subscription_item"))


@router.post("/v1/subscription_items/{id}", returns="subscription_item")
def update_subscription_item(req: ApiRequest, params: ItemFields, id: str) -> dict[str, Any]:
    """Change an item's price, quantity or tax rates (prorated like a subscription update)."""
    item = subscriptions.update_subscription_item(id, params.given(), livemode=req.livemode)
    return render_subscription_item(item)


@router.delete("/v1/subscription_items/{id}", returns="subscription_item")
def delete_subscription_item(req: ApiRequest, params: ItemDelete, id: str) -> dict[str, Any]:
    """Remove an item from its subscription (a subscription keeps at least one item)."""
    return subscriptions.delete_subscription_item(id, params.given(), livemode=req.livemode)


@router.get("/v1/subscription_items", returns="list")
def list_subscription_items(req: ApiRequest, params: ItemList) -> dict[str, Any]:
    """List a subscription's items."""
    qs = _items().filter(subscription_id=params.subscription)
    return paginate(
        req,
        qs,
        params,
        render_many=render_subscription_items,
        url=f"/v1/subscription_items?subscription={params.subscription}",
    )
