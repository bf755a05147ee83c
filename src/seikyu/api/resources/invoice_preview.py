"""``POST /v1/invoices/create_preview``: the invoice a customer or subscription would get."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field as P

from seikyu.api.params import Metadata, Nested, Params
from seikyu.api.resources.invoiceitems import Period, Pricing
from seikyu.api.resources.subscriptions import ProrationBehavior, SubscriptionItemParams
from seikyu.api.routing import ApiRequest, Router
from seikyu.billing.services import preview

router = Router()


class SubscriptionDetails(Nested):
    items: list[SubscriptionItemParams] | None = None
    proration_behavior: ProrationBehavior | None = None
    proration_date: int | None = None
    billing_cycle_anchor: int | Literal["now", "unchanged"] | None = None
    cancel_at: int | None = None
    cancel_at_period_end: bool | None = None
    trial_end: int | Literal["now"] | None = None
    default_tax_rates: list[str] | None = None


class PreviewInvoiceItem(Nested):
    amount: int | None = None
    currency: str | None = None
    description: str | None = None
    discountable: bool | None = None
    metadata: Metadata | None = None
    period: Period | None = None
    price: str | None = None
    pricing: Pricing | None = None
    quantity: Annotated[int, P(ge=0)] | None = None
    tax_rates: list[str] | None = None
    unit_amount: int | None = None


class PreviewParams(Params):
    customer: str | None = None
    subscription: str | None = None
    subscription_details: SubscriptionDetails | None = None
    preview_mode: Literal["next", "recurring"] | None = None
    invoice_items: list[PreviewInvoiceItem] | None = None


@router.post("/v1/invoices/create_preview", returns="invoice")
def create_preview(req: ApiRequest, params: PreviewParams) -> dict[str, Any]:
    """Preview the next invoice (or the one a change would make now); nothing is saved."""
    return preview.preview_invoice(params.given(), livemode=req.livemode)
