"""``/v1/coupons``."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field as P

from seikyu.api.params import ListParams, Metadata, Nested, Params
from seikyu.api.query import fetch, paginate
from seikyu.api.routing import ApiRequest, Router
from seikyu.billing.models import Coupon
from seikyu.billing.render.catalog import render_coupon
from seikyu.billing.services import catalog

router = Router()


class AppliesTo(Nested):
    products: list[str] | None = None


class CouponCreate(Params):
    id: str | None = None
    amount_off: int | None = None
    currency: str | None = None
    percent_off: Decimal | None = None
    duration: Literal["forever", "once", "repeating"] | None = None
    duration_in_months: int | None = None
    max_redemptions: int | None = None
    redeem_by: int | None = None
    name: Annotated[str, P(max_length=40)] | None = None
    applies_to: AppliesTo | None = None
    metadata: Metadata | None = None


class CouponUpdate(Params):
    name: Annotated[str, P(max_length=40)] | None = None
    metadata: Metadata | None = None


def _live() -> Any:
    return Coupon.objects.filter(deleted_at__isnull=True)


@router.post("/v1/coupons", returns="coupon")
def create_coupon(req: ApiRequest, params: CouponCreate) -> dict[str, Any]:
    """Create a coupon (percent_off, or amount_off with currency)."""
    return render_coupon(catalog.create_coupon(params.given(), livemode=req.livemode))


@router.get("/v1/coupons/{id}", returns="coupon")
def retrieve_coupon(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Retrieve a coupon."""
    return render_coupon(fetch(req, _live(), id, kind="coupon"))


@router.post("/v1/coupons/{id}", returns="coupon")
def update_coupon(req: ApiRequest, params: CouponUpdate, id: str) -> dict[str, Any]:
    """Update a coupon's name or metadata."""
    return render_coupon(catalog.update_coupon(id, params.given(), livemode=req.livemode))


@router.delete("/v1/coupons/{id}", returns="coupon")
def delete_coupon(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Delete a coupon: no new redemptions; existing discounts continue."""
    coupon = catalog.delete_coupon(id, livemode=req.livemode)
    return {"id": coupon.id, "object": "coupon", "deleted": True}


@router.get("/v1/coupons", returns="list")
def list_coupons(req: ApiRequest, params: ListParams) -> dict[str, Any]:
    """List coupons, newest first."""
    return paginate(req, _live(), params, render_coupon)
