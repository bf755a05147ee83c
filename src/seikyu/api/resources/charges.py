"""``/v1/charges``: the attempts to move money, successful or not."""

from __future__ import annotations

from typing import Any

from seikyu.api.params import ListParams, Params
from seikyu.api.query import fetch, paginate
from seikyu.api.routing import ApiRequest, Router
from seikyu.billing.models import Charge
from seikyu.billing.render.payments import render_charge

router = Router()


class ChargeList(ListParams):
    customer: str | None = None
    payment_intent: str | None = None


@router.get("/v1/charges/{id}", returns="charge")
def retrieve_charge(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Retrieve a charge."""
    return render_charge(fetch(req, Charge, id, kind="charge"))


@router.get("/v1/charges", returns="list")
def list_charges(req: ApiRequest, params: ChargeList) -> dict[str, Any]:
    """List charges, newest first."""
    qs = Charge.objects.all()
    if params.customer is not None:
        qs = qs.filter(customer_id=params.customer)
    if params.payment_intent is not None:
        qs = qs.filter(payment_intent_id=params.payment_intent)
    return paginate(req, qs, params, render_charge)
