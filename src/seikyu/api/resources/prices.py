"""``/v1/prices`` (prices are never deleted, only deactivated)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field as P

from seikyu.api.params import ListParams, Metadata, Nested, Params, SearchParams
from seikyu.api.query import fetch, paginate
from seikyu.api.routing import ApiRequest, Router
from seikyu.api.search import Field, search
from seikyu.billing.models import Price
from seikyu.billing.render.catalog import render_price
from seikyu.billing.services import catalog

router = Router()

SEARCH_FIELDS = {
    "active": Field("active", "boolean"),
    "currency": Field("currency"),
    "lookup_key": Field("lookup_key", "exact"),
    "product": Field("product_id", "exact"),
    "type": Field("type", "exact"),
    "created": Field("created", "timestamp"),
}

TaxBehavior = Literal["exclusive", "inclusive", "unspecified"]


class Recurring(Nested):
    interval: Literal["day", "week", "month", "year"]
    interval_count: int | None = None
    usage_type: Literal["licensed", "metered"] | None = None
    trial_period_days: Annotated[int, P(ge=0, le=730)] | None = None


class Tier(Nested):
    up_to: int | Literal["inf"]
    unit_amount: int | None = None
    unit_amount_decimal: Decimal | None = None
    flat_amount: int | None = None
    flat_amount_decimal: Decimal | None = None


class TransformQuantity(Nested):
    divide_by: int
    round: Literal["up", "down"]


class ProductData(Nested):
    name: Annotated[str, P(max_length=250)]
    id: str | None = None
    active: bool | None = None
    metadata: Metadata | None = None
    statement_descriptor: Annotated[str, P(max_length=22)] | None = None
    tax_code: str | None = None
    unit_label: Annotated[str, P(max_length=12)] | None = None


class PriceCreate(Params):
    currency: str
    product: str | None = None
    product_data: ProductData | None = None
    unit_amount: Annotated[int, P(ge=0)] | None = None
    unit_amount_decimal: Decimal | None = None
    active: bool | None = None
    billing_scheme: Literal["per_unit", "tiered"] | None = None
    lookup_key: Annotated[str, P(max_length=200)] | None = None
    metadata: Metadata | None = None
    nickname: str | None = None
    recurring: Recurring | None = None
    tax_behavior: TaxBehavior | None = None
    tiers: Annotated[list[Tier], P(max_length=250)] | None = None
    tiers_mode: Literal["graduated", "volume"] | None = None
    transfer_lookup_key: bool | None = None
    transform_quantity: TransformQuantity | None = None


class PriceUpdate(Params):
    active: bool | None = None
    lookup_key: Annotated[str, P(max_length=200)] | None = None
    metadata: Metadata | None = None
    nickname: str | None = None
    tax_behavior: TaxBehavior | None = None
    transfer_lookup_key: bool | None = None


class RecurringFilter(Nested):
    interval: Literal["day", "week", "month", "year"] | None = None
    usage_type: Literal["licensed", "metered"] | None = None


class PriceList(ListParams):
    active: bool | None = None
    currency: str | None = None
    lookup_keys: Annotated[list[str], P(max_length=10)] | None = None
    product: str | None = None
    recurring: RecurringFilter | None = None
    type: Literal["one_time", "recurring"] | None = None


@router.post("/v1/prices", returns="price")
def create_price(req: ApiRequest, params: PriceCreate) -> dict[str, Any]:
    """Create a price."""
    return render_price(catalog.create_price(params.given(), livemode=req.livemode))


@router.get("/v1/prices/search", returns="search_result")
def search_prices(req: ApiRequest, params: SearchParams) -> dict[str, Any]:
    """Search prices (active, currency, lookup_key, product, type, created, metadata)."""
    return search(req, Price.objects.all(), params, SEARCH_FIELDS, render_price)


@router.get("/v1/prices/{id}", returns="price")
def retrieve_price(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Retrieve a price."""
    return render_price(fetch(req, Price, id))


@router.post("/v1/prices/{id}", returns="price")
def update_price(req: ApiRequest, params: PriceUpdate, id: str) -> dict[str, Any]:
    """Update a price (active, lookup_key, nickname, metadata, an unspecified tax_behavior)."""
    return render_price(catalog.update_price(id, params.given(), livemode=req.livemode))


@router.get("/v1/prices", returns="list")
def list_prices(req: ApiRequest, params: PriceList) -> dict[str, Any]:
    """List prices, newest first."""
    qs = Price.objects.all()
    if params.active is not None:
        qs = qs.filter(active=params.active)
    if params.currency is not None:
        qs = qs.filter(currency=params.currency.lower())
    if params.lookup_keys:
        qs = qs.filter(lookup_key__in=params.lookup_keys)
    if params.product is not None:
        qs = qs.filter(product_id=params.product)
    if params.type is not None:
        qs = qs.filter(type=params.type)
    if params.recurring is not None:
        if params.recurring.interval is not None:
            qs = qs.filter(recurring_interval=params.recurring.interval)
        if params.recurring.usage_type is not None:
            qs = qs.filter(recurring_usage_type=params.recurring.usage_type)
    return paginate(req, qs, params, render_price)
