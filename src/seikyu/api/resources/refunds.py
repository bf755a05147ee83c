"""``/v1/refunds``: give back all or part of a successful charge."""

from __future__ import annotations

from typing import Any, Literal

from seikyu.api.params import ListParams, Metadata, Params
from seikyu.api.query import fetch, paginate
from seikyu.api.routing import ApiRequest, Router
from seikyu.billing.models import Refund
from seikyu.billing.render.payments import render_refund
from seikyu.billing.services import payments
from seikyu.billing.services.catalog import merge_metadata

router = Router()


class RefundCreate(Params):
    amount: int | None = None
    charge: str | None = None
    payment_intent: str | None = None
    reason: Literal["duplicate", "fraudulent", "requested_by_customer"] | None = None
    metadata: Metadata | None = None


class RefundUpdate(Params):
    metadata: Metadata | None = None


class RefundList(ListParams):
    charge: str | None = None
    payment_intent: str | None = None


def _refunds() -> Any:
    return Refund.objects.select_related("charge")


@router.post("/v1/refunds", returns="refund")
def create_refund(req: ApiRequest, params: RefundCreate) -> dict[str, Any]:
    """Refund a charge (by ``charge`` or ``payment_intent``), in full or ``amount``."""
    refund = payments.create_refund(
        livemode=req.livemode,
        charge_id=params.charge,
        payment_intent_id=params.payment_intent,
        amount=params.amount,
        reason=params.reason,
        metadata=merge_metadata({}, params.metadata or {}),
    )
    return render_refund(refund)


@router.get("/v1/refunds/{id}", returns="refund")
def retrieve_refund(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Retrieve a refund."""
    return render_refund(fetch(req, _refunds(), id, kind="refund"))


@router.post("/v1/refunds/{id}", returns="refund")
def update_refund(req: ApiRequest, params: RefundUpdate, id: str) -> dict[str, Any]:
    """Update a refund's metadata."""
    refund = fetch(req, _refunds(), id, kind="refund")
    data = params.given()
    if "metadata" in data:
        refund = payments.update_refund_metadata(refund, merge_metadata(refund.metadata, data["metadata"]))
    return render_refund(refund)


@router.get("/v1/refunds", returns="list")
def list_refunds(req: ApiRequest, params: RefundList) -> dict[str, Any]:
    """List refunds, newest first."""
    qs = _refunds()
    if params.charge is not None:
        qs = qs.filter(charge_id=params.charge)
    if params.payment_intent is not None:
        qs = qs.filter(payment_intent_id=params.payment_intent)
    return paginate(req, qs, params, render_refund)
