"""``/v1/payment_intents``: read the intents invoices are collected with."""

from __future__ import annotations

from typing import Any

from seikyu.api.params import ListParams, Params
from seikyu.api.query import fetch, paginate
from seikyu.api.routing import ApiRequest, Router
from seikyu.billing.models import PaymentIntent
from seikyu.billing.render.payments import render_payment_intent

router = Router()


class PaymentIntentList(ListParams):
    customer: str | None = None


@router.get("/v1/payment_intents/{id}", returns="payment_intent")
def retrieve_payment_intent(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Retrieve a PaymentIntent."""
    return render_payment_intent(fetch(req, PaymentIntent, id, kind="payment_intent"))


@router.get("/v1/payment_intents", returns="list")
def list_payment_intents(req: ApiRequest, params: PaymentIntentList) -> dict[str, Any]:
    """List PaymentIntents, newest first."""
    qs = PaymentIntent.objects.all()
    if params.customer is not None:
        qs = qs.filter(customer_id=params.customer)
    return paginate(req, qs, params, render_payment_intent)
