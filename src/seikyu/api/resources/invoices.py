"""``/v1/invoices`` (create, edit, finalize, pay, send, void, mark uncollectible, lines, search) and
``/v1/invoice_payments``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.db.models import Q
from pydantic import Field as P

from seikyu.api.params import ListParams, Metadata, Nested, Params, RangeFilter, SearchParams
from seikyu.api.query import fetch, list_object, paginate, range_q
from seikyu.api.routing import ApiRequest, Router
from seikyu.api.search import Field, search
from seikyu.billing.models import Invoice, InvoiceLineItem, InvoicePayment
from seikyu.billing.render.invoices import (
    render_invoice,
    render_invoice_line,
    render_invoice_payment,
    render_invoices,
)
from seikyu.billing.services import invoice_items, invoices
from seikyu.core.errors import InvalidRequest, ResourceMissing

router = Router()

SEARCH_FIELDS = {
    "created": Field("created", "timestamp"),
    "currency": Field("currency", "exact"),
    "customer": Field("customer_id", "exact"),
    "number": Field("number", "exact"),
    "status": Field("status", "exact"),
    "subscription": Field("subscription_id", "exact"),
    "total": Field("total", "number"),
}


class CustomField(Nested):
    name: Annotated[str, P(max_length=40)]
    value: Annotated[str, P(max_length=140)]


class DiscountSpec(Nested):
    coupon: str | None = None
    discount: str | None = None
    promotion_code: str | None = None


class InvoiceFields(Params):
    auto_advance: bool | None = None
    collection_method: Literal["charge_automatically", "send_invoice"] | None = None
    custom_fields: Annotated[list[CustomField], P(max_length=4)] | None = None
    days_until_due: Annotated[int, P(ge=0)] | None = None
    default_payment_method: str | None = None
    default_tax_rates: list[str] | None = None
    description: Annotated[str, P(max_length=1500)] | None = None
    discounts: list[DiscountSpec] | None = None
    due_date: int | None = None
    footer: Annotated[str, P(max_length=5000)] | None = None
    metadata: Metadata | None = None
    statement_descriptor: Annotated[str, P(max_length=22)] | None = None


class InvoiceCreate(InvoiceFields):
    customer: str | None = None
    currency: str | None = None
    pending_invoice_items_behavior: Literal["include", "exclude"] | None = None


class InvoiceList(ListParams):
    collection_method: Literal["charge_automatically", "send_invoice"] | None = None
    customer: str | None = None
    due_date: int | RangeFilter | None = None
    status: Literal["draft", "open", "paid", "uncollectible", "void"] | None = None
    subscription: str | None = None


class FinalizeParams(Params):
    auto_advance: bool | None = None


class PayParams(Params):
    forgive: bool | None = None
    off_session: bool | None = None
    paid_out_of_band: bool | None = None
    payment_method: str | None = None


def _invoice(req: ApiRequest, invoice_id: str) -> Invoice:
    return fetch(req, Invoice, invoice_id, kind="invoice")


@router.post("/v1/invoices", returns="invoice")
def create_invoice(req: ApiRequest, params: InvoiceCreate) -> dict[str, Any]:
    """Create a draft invoice for a customer (pulls their pending invoice items by default)."""
    return render_invoice(invoices.create_manual_invoice(params.given(), livemode=req.livemode))


@router.get("/v1/invoices/search", returns="search_result")
def search_invoices(req: ApiRequest, params: SearchParams) -> dict[str, Any]:
    """Search invoices (status, customer, subscription, number, currency, total, created, metadata)."""
    return search(req, Invoice.objects.all(), params, SEARCH_FIELDS, render_many=render_invoices)


@router.get("/v1/invoices/{id}", returns="invoice")
def retrieve_invoice(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Retrieve an invoice."""
    return render_invoice(_invoice(req, id))


@router.post("/v1/invoices/{id}", returns="invoice")
def update_invoice(req: ApiRequest, params: InvoiceFields, id: str) -> dict[str, Any]:
    """Update a draft invoice (a finalized one: metadata and collection settings only)."""
    return render_invoice(invoices.update_invoice(_invoice(req, id), params.given()))


@router.delete("/v1/invoices/{id}", returns="invoice")
def delete_invoice(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Delete a draft invoice."""
    return invoices.delete_draft_invoice(_invoice(req, id))


@router.get("/v1/invoices", returns="list")
def list_invoices(req: ApiRequest, params: InvoiceList) -> dict[str, Any]:
    """List invoices, newest first."""
    qs = Invoice.objects.filter(range_q("due_date", params.due_date))
    filters = {
        "customer_id": params.customer,
        "status": params.status,
        "subscription_id": params.subscription,
        "collection_method": params.collection_method,
    }
    qs = qs.filter(**{name: value for name, value in filters.items() if value is not None})
    return paginate(req, qs, params, render_many=render_invoices)


@router.post("/v1/invoices/{id}/finalize", returns="invoice")
def finalize_invoice(req: ApiRequest, params: FinalizeParams, id: str) -> dict[str, Any]:
    """Finalize a draft: it gets its number and becomes open (or paid, when nothing is due)."""
    invoice = _invoice(req, id)
    if params.auto_advance is not None and invoice.status == Invoice.Status.DRAFT:
        invoices.update_invoice(invoice, {"auto_advance": params.auto_advance})
    return render_invoice(invoices.finalize_invoice(invoice))


@router.post("/v1/invoices/{id}/pay", returns="invoice")
def pay_invoice(req: ApiRequest, params: PayParams, id: str) -> dict[str, Any]:
    """Pay an invoice now: with its payment method, another one, or out of band."""
    invoice = invoices.pay_invoice(
        _invoice(req, id),
        paid_out_of_band=bool(params.paid_out_of_band),
        payment_method_id=params.payment_method,
        forgive=bool(params.forgive),
        off_session=params.off_session is not False,
    )
    return render_invoice(invoice)


@router.post("/v1/invoices/{id}/send", returns="invoice")
def send_invoice(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Send a finalized send_invoice invoice to the customer."""
    return render_invoice(invoices.send_invoice(_invoice(req, id)))


@router.post("/v1/invoices/{id}/void", returns="invoice")
def void_invoice(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Void an open or uncollectible invoice."""
    return render_invoice(invoices.void_invoice(_invoice(req, id)))


@router.post("/v1/invoices/{id}/mark_uncollectible", returns="invoice")
def mark_uncollectible(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Write an open invoice off as uncollectible."""
    return render_invoice(invoices.mark_uncollectible(_invoice(req, id)))


class LinePeriod(Nested):
    start: int
    end: int


class LinePricing(Nested):
    price: str | None = None


class LineFields(Nested):
    amount: int | None = None
    description: str | None = None
    discountable: bool | None = None
    metadata: Metadata | None = None
    period: LinePeriod | None = None
    pricing: LinePricing | None = None
    quantity: int | None = None
    tax_rates: list[str] | None = None


class LineAdd(LineFields):
    invoice_item: str | None = None


class LineUpdate(LineFields):
    id: str


class LineRemove(Nested):
    id: str
    behavior: Literal["delete", "unassign"]


class AddLines(Params):
    lines: list[LineAdd]


class UpdateLines(Params):
    lines: list[LineUpdate]


class RemoveLines(Params):
    lines: list[LineRemove]


@router.post("/v1/invoices/{id}/add_lines", returns="invoice")
def add_lines(req: ApiRequest, params: AddLines, id: str) -> dict[str, Any]:
    """Add lines (new items, or pending items) to a draft invoice."""
    return render_invoice(invoice_items.add_lines(_invoice(req, id), params.given()["lines"]))


@router.post("/v1/invoices/{id}/update_lines", returns="invoice")
def update_lines(req: ApiRequest, params: UpdateLines, id: str) -> dict[str, Any]:
    """Change lines of a draft invoice."""
    return render_invoice(invoice_items.update_lines(_invoice(req, id), params.given()["lines"]))


@router.post("/v1/invoices/{id}/remove_lines", returns="invoice")
def remove_lines(req: ApiRequest, params: RemoveLines, id: str) -> dict[str, Any]:
    """Remove lines from a draft invoice (delete their items, or make them pending again)."""
    return render_invoice(invoice_items.remove_lines(_invoice(req, id), params.given()["lines"]))


class LineList(Params):
    limit: Annotated[int, P(ge=1, le=100)] = 10
    starting_after: str | None = None
    ending_before: str | None = None


@router.get("/v1/invoices/{id}/lines", returns="list")
def list_invoice_lines(req: ApiRequest, params: LineList, id: str) -> dict[str, Any]:
    """An invoice's lines, in invoice order."""
    invoice = _invoice(req, id)
    lines = InvoiceLineItem.objects.filter(invoice_id=invoice.id).select_related("price")
    if params.starting_after and params.ending_before:
        raise InvalidRequest(
            "You may only specify one of these parameters: ending_before, starting_after.", param="ending_before"
        )
    cursor = params.starting_after or params.ending_before
    if cursor:
        param = "starting_after" if params.starting_after else "ending_before"
        position = lines.filter(id=cursor).values_list("position", flat=True).first()
        if position is None:
            raise ResourceMissing("line_item", cursor, param=param)
        after = Q(position__gt=position) | Q(position=position, id__gt=cursor)
        lines = lines.filter(after) if params.starting_after else lines.exclude(after).exclude(id=cursor)
    if params.ending_before:
        page = list(lines.order_by("-position", "-id")[: params.limit + 1])
        has_more, rows = len(page) > params.limit, page[: params.limit][::-1]
    else:
        page = list(lines.order_by("position", "id")[: params.limit + 1])
        has_more, rows = len(page) > params.limit, page[: params.limit]
    return list_object([render_invoice_line(line) for line in rows], req.path, has_more=has_more)


# --------------------------------------------------------------------------- invoice payments


class InvoicePaymentList(ListParams):
    invoice: str | None = None
    status: Literal["canceled", "open", "paid"] | None = None


@router.get("/v1/invoice_payments/{id}", returns="invoice_payment")
def retrieve_invoice_payment(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Retrieve one payment towards an invoice."""
    return render_invoice_payment(fetch(req, InvoicePayment, id, kind="invoice_payment"))


@router.get("/v1/invoice_payments", returns="list")
def list_invoice_payments(req: ApiRequest, params: InvoicePaymentList) -> dict[str, Any]:
    """List invoice payments (of one invoice with ``invoice``)."""
    qs = InvoicePayment.objects.all()
    if params.invoice is not None:
        qs = qs.filter(invoice_id=params.invoice)
    if params.status is not None:
        qs = qs.filter(status=params.status)
    return paginate(req, qs, params, render_invoice_payment)
