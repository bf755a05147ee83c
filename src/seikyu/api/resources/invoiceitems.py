"""``/v1/invoiceitems``: pending charges and credits, or items of a draft invoice."""

from __future__ import annotations

from typing import Any

from seikyu.api.params import ListParams, Metadata, Nested, Params
from seikyu.api.query import fetch, paginate
from seikyu.api.routing import ApiRequest, Router
from seikyu.billing.models import InvoiceItem
from seikyu.billing.render.invoices import render_invoice_item, render_invoice_items
from seikyu.billing.services import invoice_items

router = Router()


class Period(Nested):
    start: int
    end: int


class Pricing(Nested):
    price: str | None = None


class InvoiceItemFields(Params):
    amount: int | None = None
    description: str | None = None
    discountable: bool | None = None
    metadata: Metadata | None = None
    period: Period | None = None
    price: str | None = None
    pricing: Pricing | None = None
    quantity: int | None = None
    tax_rates: list[str] | None = None
    unit_amount: int | None = None
    unit_amount_decimal: int | None = None


class InvoiceItemCreate(InvoiceItemFields):
    customer: str | None = None
    currency: str | None = None
    invoice: str | None = None
    subscription: str | None = None


class InvoiceItemList(ListParams):
    customer: str | None = None
    invoice: str | None = None
    pending: bool | None = None


def _given(params: InvoiceItemFields) -> dict[str, Any]:
    data = params.given()
    # ``unit_amount_decimal`` (a whole number of minor units here) is the current name of ``unit_amount``.
    if data.get("unit_amount_decimal") is not None:
        data["unit_amount"] = data.pop("unit_amount_decimal")
    return data


def _live() -> Any:
    return InvoiceItem.objects.filter(deleted_at__isnull=True).select_related("price")


@router.post("/v1/invoiceitems", returns="invoiceitem")
def create_invoice_item(req: ApiRequest, params: InvoiceItemCreate) -> dict[str, Any]:
    """Create an invoice item (pending, or on the draft given as ``invoice``)."""
    return render_invoice_item(invoice_items.create_invoice_item(_given(params), livemode=req.livemode))


@router.get("/v1/invoiceitems/{id}", returns="invoiceitem")
def retrieve_invoice_item(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Retrieve an invoice item."""
    return render_invoice_item(fetch(req, _live(), id, kind="invoiceitem"))


@router.post("/v1/invoiceitems/{id}", returns="invoiceitem")
def update_invoice_item(req: ApiRequest, params: InvoiceItemFields, id: str) -> dict[str, Any]:
    """Update a pending invoice item or one on a draft invoice."""
    item = fetch(req, _live(), id, kind="invoiceitem")
    return render_invoice_item(invoice_items.update_invoice_item(item, _given(params)))


@router.delete("/v1/invoiceitems/{id}", returns="invoiceitem")
def delete_invoice_item(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Delete a pending invoice item or one on a draft invoice."""
    return invoice_items.delete_invoice_item(fetch(req, _live(), id, kind="invoiceitem"))


@router.get("/v1/invoiceitems", returns="list")
def list_invoice_items(req: ApiRequest, params: InvoiceItemList) -> dict[str, Any]:
    """List invoice items, newest first."""
    qs = _live()
    if params.customer is not None:
        qs = qs.filter(customer_id=params.customer)
    if params.invoice is not None:
        qs = qs.filter(invoice_id=params.invoice)
    if params.pending is not None:
        qs = qs.filter(invoice__isnull=params.pending)
    return paginate(req, qs, params, render_many=render_invoice_items)
