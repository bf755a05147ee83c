"""``/v1/products``."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field as P

from seikyu.api.params import ListParams, Metadata, Nested, Params, SearchParams
from seikyu.api.query import fetch, paginate
from seikyu.api.routing import ApiRequest, Router
from seikyu.api.search import Field, search
from seikyu.billing.models import Product
from seikyu.billing.render.catalog import render_product
from seikyu.billing.services import catalog

router = Router()

SEARCH_FIELDS = {
    "active": Field("active", "boolean"),
    "description": Field("description"),
    "name": Field("name"),
    "url": Field("url", "exact"),
    "created": Field("created", "timestamp"),
}


class MarketingFeature(Nested):
    name: Annotated[str, P(max_length=80)]


class DefaultPriceRecurring(Nested):
    interval: Literal["day", "week", "month", "year"]
    interval_count: int | None = None


class DefaultPriceData(Nested):
    currency: str
    unit_amount: int | None = None
    unit_amount_decimal: Decimal | None = None
    recurring: DefaultPriceRecurring | None = None
    tax_behavior: Literal["exclusive", "inclusive", "unspecified"] | None = None
    metadata: Metadata | None = None


class ProductFields(Params):
    active: bool | None = None
    description: Annotated[str, P(max_length=40000)] | None = None
    images: Annotated[list[str], P(max_length=8)] | None = None
    marketing_features: Annotated[list[MarketingFeature], P(max_length=15)] | None = None
    metadata: Metadata | None = None
    statement_descriptor: Annotated[str, P(max_length=22)] | None = None
    tax_code: str | None = None
    unit_label: Annotated[str, P(max_length=12)] | None = None
    url: Annotated[str, P(max_length=2000)] | None = None


class ProductCreate(ProductFields):
    name: Annotated[str, P(max_length=250)]
    id: Annotated[str, P(max_length=64)] | None = None
    default_price_data: DefaultPriceData | None = None


class ProductUpdate(ProductFields):
    name: Annotated[str, P(max_length=250)] | None = None
    default_price: str | None = None


class ProductList(ListParams):
    active: bool | None = None
    ids: list[str] | None = None
    url: str | None = None


@router.post("/v1/products", returns="product")
def create_product(req: ApiRequest, params: ProductCreate) -> dict[str, Any]:
    """Create a product (optionally with its default price)."""
    return render_product(catalog.create_product(params.given(), livemode=req.livemode))


@router.get("/v1/products/search", returns="search_result")
def search_products(req: ApiRequest, params: SearchParams) -> dict[str, Any]:
    """Search products (active, name, description, url, created, metadata)."""
    return search(req, Product.objects.filter(deleted_at__isnull=True), params, SEARCH_FIELDS, render_product)


@router.get("/v1/products/{id}", returns="product")
def retrieve_product(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Retrieve a product."""
    return render_product(fetch(req, Product.objects.filter(deleted_at__isnull=True), id, kind="product"))


@router.post("/v1/products/{id}", returns="product")
def update_product(req: ApiRequest, params: ProductUpdate, id: str) -> dict[str, Any]:
    """Update a product."""
    return render_product(catalog.update_product(id, params.given(), livemode=req.livemode))


@router.delete("/v1/products/{id}", returns="product")
def delete_product(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Delete a product that has no prices."""
    product = catalog.delete_product(id, livemode=req.livemode)
    return {"id": product.id, "object": "product", "deleted": True}


@router.get("/v1/products", returns="list")
def list_products(req: ApiRequest, params: ProductList) -> dict[str, Any]:
    """List products, newest first."""
    qs = Product.objects.filter(deleted_at__isnull=True)
    if params.active is not None:
        qs = qs.filter(active=params.active)
    if params.ids:
        qs = qs.filter(id__in=params.ids)
    if params.url is not None:
        qs = qs.filter(url=params.url)
    return paginate(req, qs, params, render_product)
