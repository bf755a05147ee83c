"""``/v1/promotion_codes`` (not deletable; deactivate instead)."""

from __future__ import annotations

from typing import Any, Literal

from seikyu.api.params import ListParams, Metadata, Nested, Params
from seikyu.api.query import fetch, paginate
from seikyu.api.routing import ApiRequest, Router
from seikyu.billing.models import PromotionCode
from seikyu.billing.render.catalog import render_promotion_code
from seikyu.billing.services import catalog

router = Router()


class Promotion(Nested):
    type: Literal["coupon"] = "coupon"
    coupon: str | None = None


class CurrencyOption(Nested):
    minimum_amount: int | None = None


class Restrictions(Nested):
    first_time_transaction: bool | None = None
    minimum_amount: int | None = None
    minimum_amount_currency: str | None = None
    currency_options: dict[str, CurrencyOption] | None = None


class UpdateRestrictions(Nested):
    currency_options: dict[str, CurrencyOption] | None = None


class PromotionCodeCreate(Params):
    promotion: Promotion
    code: str | None = None
    active: bool | None = None
    customer: str | None = None
    expires_at: int | None = None
    max_redemptions: int | None = None
    metadata: Metadata | None = None
    restrictions: Restrictions | None = None


class PromotionCodeUpdate(Params):
    active: bool | None = None
    metadata: Metadata | None = None
    restrictions: UpdateRestrictions | None = None


class PromotionCodeList(ListParams):
    active: bool | None = None
    code: str | None = None
    coupon: str | None = None
    customer: str | None = None


@router.post("/v1/promotion_codes", returns="promotion_code")
def create_promotion_code(req: ApiRequest, params: PromotionCodeCreate) -> dict[str, Any]:
    """Create a customer-facing code for a coupon."""
    return render_promotion_code(catalog.create_promotion_code(params.given(), livemode=req.livemode))


@router.get("/v1/promotion_codes/{id}", returns="promotion_code")
def retrieve_promotion_code(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Retrieve a promotion code."""
    return render_promotion_code(fetch(req, PromotionCode, id))


@router.post("/v1/promotion_codes/{id}", returns="promotion_code")
def update_promotion_code(req: ApiRequest, params: PromotionCodeUpdate, id: str) -> dict[str, Any]:
    """Update a promotion code (active, metadata, restrictions[currency_options])."""
    return render_promotion_code(catalog.update_promotion_code(id, params.given(), livemode=req.livemode))


@router.get("/v1/promotion_codes", returns="list")
def list_promotion_codes(req: ApiRequest, params: PromotionCodeList) -> dict[str, Any]:
    """List promotion codes, newest first."""
    qs = PromotionCode.objects.all()
    if params.active is not None:
        qs = qs.filter(active=params.active)
    if params.code is not None:
        qs = qs.filter(code__iexact=params.code)
    if params.coupon is not None:
        qs = qs.filter(coupon_id=params.coupon)
    if params.customer is not None:
        qs = qs.filter(customer_id=params.customer)
    return paginate(req, qs, params, render_promotion_code)
