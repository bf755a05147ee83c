"""Reading what invoices' documents print, for many invoices at once.

``InvoiceData.load(invoices)`` reads the lines, tax rates, discounts, payments and (when an
invoice carries no issuer snapshot) the account's issuer details of a whole batch in a constant
number of queries; one invoice is a batch of one. ``invoice_source`` then turns one invoice into
the plain ``InvoiceSource`` the content builders take.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from seikyu.account.models import File
from seikyu.account.services import issuer_snapshot
from seikyu.billing.models import Coupon, Discount, Invoice, InvoiceLineItem, InvoicePayment, TaxRate
from seikyu.core.errors import InvalidRequest

from . import labels
from .content import InvoiceSource, Line, Payment, TaxRow, is_reduced_rate
from .typesetting import logo_svg

_LINE_FIELDS = (
    "invoice_id",
    "description",
    "amount",
    "quantity",
    "unit_amount",
    "period_start",
    "period_end",
    "proration",
    "taxes",
    "discount_amounts",
    "price__product__name",
)


def _rate_id(tax: Mapping[str, Any]) -> str:
    return str(tax["tax_rate_details"]["tax_rate"])


@lru_cache(maxsize=16)
def _logo_for_file(file_id: str) -> str | None:
    # Files never change, so a file's SVG form can be kept for the life of the process.
    content = File.objects.filter(id=file_id).values_list("content", flat=True).first()
    return None if content is None else logo_svg(bytes(content))


def issuer_logo(issuer: Mapping[str, Any]) -> str | None:
    """The issuer's logo as SVG text for the layout, or None."""
    logo = issuer.get("logo")
    return _logo_for_file(logo["file"]) if logo else None


@dataclass
class InvoiceData:
    lines: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    # tax rate id → (percentage, reduced)
    rates: dict[str, tuple[Decimal, bool]] = field(default_factory=dict)
    coupons: dict[str, Coupon] = field(default_factory=dict)
    payments: dict[str, InvoicePayment] = field(default_factory=dict)
    current_issuer: dict[str, Any] | None = None

    @classmethod
    def load(cls, invoices: Sequence[Invoice], *, payments: bool = False) -> InvoiceData:
        """Everything the invoices' documents read (``payments``: also how paid ones were paid)."""
        data = cls()
        ids = [inv.id for inv in invoices]
        if not ids:
            return data
        for line in InvoiceLineItem.objects.filter(invoice_id__in=ids).order_by("position").values(*_LINE_FIELDS):
            data.lines[line["invoice_id"]].append(line)
        rate_ids = {_rate_id(tax) for inv in invoices for tax in inv.total_taxes}
        rate_ids |= {_rate_id(tax) for lines in data.lines.values() for line in lines for tax in line["taxes"]}
        if rate_ids:
            for rate_id, percentage, country in TaxRate.objects.filter(id__in=rate_ids).values_list(
                "id", "percentage", "country"
            ):
                data.rates[rate_id] = (percentage, is_reduced_rate(percentage, country))
        discount_ids = {d["discount"] for inv in invoices for d in inv.total_discount_amounts}
        if discount_ids:
            data.coupons = {
                d.id: d.coupon for d in Discount.objects.filter(id__in=discount_ids).select_related("coupon")
            }
        if payments:
            paid = InvoicePayment.objects.filter(invoice_id__in=ids, status="paid").select_related(
                "payment_intent__payment_method"
            )
            for payment in paid.order_by("paid_at", "id"):
                data.payments[payment.invoice_id] = payment  # the latest wins
        if any(not getattr(inv, "issuer", None) for inv in invoices):
            data.current_issuer = issuer_snapshot()
        return data

    def issuer(self, invoice: Invoice) -> dict[str, Any]:
        """The issuer as the invoice was issued: its snapshot once invoices carry one (taken at
        finalization), until then the current settings."""
        snapshot = getattr(invoice, "issuer", None)
        if snapshot:
            return dict(snapshot)
        assert self.current_issuer is not None, "load() the invoice first"
        return self.current_issuer

    def payment(self, invoice: Invoice) -> Payment:
        """How a paid invoice was paid: the card of its successful payment, or out of band."""
        if invoice.status != Invoice.Status.PAID or invoice.paid_at is None or invoice.amount_paid <= 0:
            raise InvalidRequest(f"Invoice {invoice.id} is not paid: a receipt is issued once it is.")
        paid = self.payments.get(invoice.id)
        method = paid.payment_intent.payment_method if paid and paid.payment_intent else None
        return Payment(
            amount=invoice.amount_paid,
            paid_at=invoice.paid_at,
            card_brand=method.card_brand if method else None,
            card_last4=method.card_last4 if method else None,
            out_of_band=invoice.paid_out_of_band or (paid is not None and paid.payment_type == "out_of_band"),
        )

    def source(self, invoice: Invoice, locale: str) -> InvoiceSource:
        return invoice_source(invoice, locale, self)


def _line_text(line: Mapping[str, Any], locale: str) -> tuple[str, str | None]:
    """The description and the detail (service period) printed for a line."""
    product = line["price__product__name"]
    if product is None:
        description = line["description"] or "—"
    elif line["proration"] and locale == "ja":
        kind = "proration_unused" if line["amount"] < 0 else "proration_remaining"
        description = f"{product}（{labels.words('ja')[kind]}）"
    elif line["proration"]:
        description = line["description"] or product
    else:
        description = product
    # A line for a span of time (a subscription period, a proration) says which.
    start, end = line["period_start"], line["period_end"]
    return description, labels.period(start, end, locale) if end > start else None


def invoice_source(invoice: Invoice, locale: str, data: InvoiceData) -> InvoiceSource:
    """Everything the invoice's documents print, from ``data`` (loaded for it)."""
    issued_at = invoice.finalized_at or invoice.effective_at
    if invoice.number is None or issued_at is None:
        raise InvalidRequest(f"Invoice {invoice.id} is a draft: it has a document once it is finalized.")
    lines = data.lines.get(invoice.id, [])
    printed = []
    untaxed = 0
    for line in lines:
        description, detail = _line_text(line, locale)
        line_rates = [_rate_id(tax) for tax in line["taxes"]]
        printed.append(
            Line(
                description=description,
                detail=detail,
                amount=line["amount"],
                quantity=line["quantity"],
                unit_amount=line["unit_amount"],
                reduced=any(data.rates.get(rate_id, (0, False))[1] for rate_id in line_rates),
            )
        )
        if not line_rates:
            untaxed += line["amount"] - sum(d["amount"] for d in line["discount_amounts"])
    taxes = [
        TaxRow(
            percentage=data.rates[rate_id][0],
            taxable_amount=tax["taxable_amount"],
            tax_amount=tax["amount"],
            inclusive=tax["tax_behavior"] == "inclusive",
            reduced=data.rates[rate_id][1],
        )
        for tax in invoice.total_taxes
        if (rate_id := _rate_id(tax)) in data.rates
    ]
    discounts = []
    for applied in invoice.total_discount_amounts:
        coupon = data.coupons.get(applied["discount"])
        discounts.append(((coupon.name or coupon.id) if coupon else "", applied["amount"]))
    period = (min(ln["period_start"] for ln in lines), max(ln["period_end"] for ln in lines)) if lines else None
    registration = next((t["value"] for t in invoice.customer_tax_ids if t.get("type") == "jp_trn"), None)
    return InvoiceSource(
        number=invoice.number,
        livemode=invoice.livemode,
        currency=invoice.currency,
        issued_at=issued_at,
        collection_method=invoice.collection_method,
        customer_name=invoice.customer_name,
        customer_address=invoice.customer_address,
        customer_registration=registration,
        lines=printed,
        subtotal=invoice.subtotal,
        discounts=discounts,
        taxes=taxes,
        untaxed_amount=untaxed if taxes else 0,
        total=invoice.total,
        starting_balance=invoice.starting_balance,
        amount_due=invoice.amount_due,
        period=period,
        due_date=invoice.due_date,
        memo=invoice.description,
        footer=invoice.footer,
        statement_descriptor=invoice.statement_descriptor,
        custom_fields=[(f["name"], f["value"]) for f in invoice.custom_fields or []],
    )
