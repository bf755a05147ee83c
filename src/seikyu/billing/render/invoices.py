"""Invoices, their lines, invoice items and invoice payments in their wire shape (current API).

Every function accepts what it would otherwise query (lines, payments, tax rates), so batch code
renders hundreds of invoices for their events without a query per invoice. Lines must have their
``price`` loaded (``select_related("price")`` or assigned) for ``pricing.price_details.product``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from seikyu.core.clock import to_unix

from ..links import hosted_invoice_url, invoice_pdf_url
from ..models import Invoice, InvoiceItem, InvoiceLineItem, InvoicePayment, Price, TaxRate
from .catalog import TaxRates, render_tax_rates

# Lines shown inside an invoice; the rest are paged through /v1/invoices/{id}/lines.
NESTED_LINES = 10


def _period(start: Any, end: Any) -> dict[str, Any]:
    return {"end": to_unix(end), "start": to_unix(start)}


def _pricing(price: Price | None, unit_amount: int | None) -> dict[str, Any] | None:
    if price is None:
        return None
    return {
        "price_details": {"price": price.id, "product": price.product_id},
        "type": "price_details",
        "unit_amount_decimal": None if unit_amount is None else str(unit_amount),
    }


def _line_parent(line: InvoiceLineItem) -> dict[str, Any] | None:
    details = {"proration": line.proration, "proration_details": {"credited_items": None}}
    if line.subscription_item:
        return {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": line.invoice_item_id,
                **details,
                "subscription": line.subscription_id,
                "subscription_item": line.subscription_item,
            },
            "type": "subscription_item_details",
        }
    if line.invoice_item_id:
        return {
            "invoice_item_details": {
                "invoice_item": line.invoice_item_id,
                **details,
                "subscription": line.subscription_id,
            },
            "subscription_item_details": None,
            "type": "invoice_item_details",
        }
    return None


def render_invoice_line(line: InvoiceLineItem) -> dict[str, Any]:
    return {
        "id": line.id,
        "object": "line_item",
        "amount": line.amount,
        "currency": line.currency,
        "description": line.description,
        "discount_amounts": line.discount_amounts,
        "discountable": line.discountable,
        "discounts": [],
        "invoice": line.invoice_id,
        "livemode": line.livemode,
        "metadata": line.metadata,
        "parent": _line_parent(line),
        "period": _period(line.period_start, line.period_end),
        "pretax_credit_amounts": [],
        "pricing": _pricing(line.price if line.price_id else None, line.unit_amount),
        "quantity": line.quantity,
        "subscription": line.subscription_id,
        "subtotal": line.amount,
        "taxes": line.taxes,
    }


def render_invoice_payment(payment: InvoicePayment) -> dict[str, Any]:
    if payment.payment_type == "payment_intent":
        detail: dict[str, Any] = {"payment_intent": payment.payment_intent_id, "type": "payment_intent"}
    else:
        detail = {"type": payment.payment_type}
    return {
        "id": payment.id,
        "object": "invoice_payment",
        "amount_paid": payment.amount_paid,
        "amount_requested": payment.amount_requested,
        "created": to_unix(payment.created),
        "currency": payment.currency,
        "invoice": payment.invoice_id,
        "is_default": payment.is_default,
        "livemode": payment.livemode,
        "payment": detail,
        "status": payment.status,
        "status_transitions": {"canceled_at": to_unix(payment.canceled_at), "paid_at": to_unix(payment.paid_at)},
    }


def nested_list(url: str, data: list[dict[str, Any]], *, has_more: bool) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def _customer_address(address: dict[str, Any] | None) -> dict[str, Any] | None:
    if address is None:
        return None
    keys = ("city", "country", "line1", "line2", "postal_code", "state")
    return {key: address.get(key) for key in keys}


def _credited(invoices: Sequence[Invoice]) -> dict[str, dict[str, int]]:
    """Each invoice's ``pre_payment_credit_notes_amount`` and ``post_payment_credit_notes_amount``
    (its issued credit notes): one query, none when all are drafts (drafts have no credit notes)."""
    from .credit_notes import CREDIT_TOTAL_FIELDS, credit_totals_for  # it imports this module

    found = credit_totals_for(inv.id for inv in invoices if inv.status != Invoice.Status.DRAFT)
    return {inv.id: found.get(inv.id) or dict.fromkeys(CREDIT_TOTAL_FIELDS, 0) for inv in invoices}


def render_invoice(
    invoice: Invoice,
    *,
    lines: Sequence[InvoiceLineItem] | None = None,
    payments: Sequence[InvoicePayment] | None = None,
    tax_rates: Mapping[str, TaxRate] | None = None,
    credited: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """``lines``: all the invoice's lines in order (the first ten are nested); ``payments``: its
    InvoicePayments; ``tax_rates``: at least its ``default_tax_rates``; ``credited``: its credit
    note totals (``_credited``). Each is queried when omitted."""
    if lines is None:
        lines = list(invoice.lines.select_related("price").order_by("position")[: NESTED_LINES + 1])
    if payments is None:
        payments = list(invoice.payments.order_by("created", "id"))
    if credited is None:
        credited = _credited([invoice])[invoice.id]
    parent = None
    if invoice.subscription_id:
        parent = {
            "quote_details": None,
            "subscription_details": {"metadata": None, "subscription": invoice.subscription_id},
            "type": "subscription_details",
        }
    return {
        "id": invoice.id,
        "object": "invoice",
        "account_country": None,
        "account_name": None,
        "account_tax_ids": None,
        "amount_due": invoice.amount_due,
        "amount_overpaid": invoice.amount_overpaid,
        "amount_paid": invoice.amount_paid,
        "amount_remaining": invoice.amount_remaining,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": invoice.attempt_count,
        "attempted": invoice.attempted,
        "auto_advance": invoice.auto_advance,
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": to_unix(invoice.automatically_finalizes_at),
        "billing_reason": invoice.billing_reason,
        "collection_method": invoice.collection_method,
        "created": to_unix(invoice.created),
        "currency": invoice.currency,
        "custom_fields": invoice.custom_fields,
        "customer": invoice.customer_id,
        "customer_account": None,
        "customer_address": _customer_address(invoice.customer_address),
        "customer_email": invoice.customer_email,
        "customer_name": invoice.customer_name,
        "customer_phone": invoice.customer_phone,
        "customer_shipping": None,
        "customer_tax_exempt": invoice.customer_tax_exempt,
        "customer_tax_ids": invoice.customer_tax_ids,
        "default_payment_method": invoice.default_payment_method_id,
        "default_source": None,
        "default_tax_rates": render_tax_rates(invoice.default_tax_rates, tax_rates),
        "description": invoice.description,
        "discounts": list(invoice.discount_ids),
        "due_date": to_unix(invoice.due_date),
        "effective_at": to_unix(invoice.effective_at),
        "ending_balance": invoice.ending_balance,
        "footer": invoice.footer,
        "from_invoice": None,
        "hosted_invoice_url": None if invoice.status == "draft" else hosted_invoice_url(invoice.id),
        "invoice_pdf": None if invoice.status == "draft" else invoice_pdf_url(invoice.id),
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": nested_list(
            f"/v1/invoices/{invoice.id}/lines",
            [render_invoice_line(line) for line in lines[:NESTED_LINES]],
            has_more=len(lines) > NESTED_LINES,
        ),
        "livemode": invoice.livemode,
        "metadata": invoice.metadata,
        "next_payment_attempt": to_unix(invoice.next_payment_attempt),
        "number": invoice.number,
        "on_behalf_of": None,
        "parent": parent,
        "payment_settings": {"default_mandate": None, "payment_method_options": None, "payment_method_types": None},
        "payments": nested_list(
            f"/v1/invoice_payments?invoice={invoice.id}",
            [render_invoice_payment(p) for p in payments],
            has_more=False,
        ),
        "period_end": to_unix(invoice.period_end),
        "period_start": to_unix(invoice.period_start),
        "post_payment_credit_notes_amount": credited["post_payment_credit_notes_amount"],
        "pre_payment_credit_notes_amount": credited["pre_payment_credit_notes_amount"],
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": invoice.starting_balance,
        "statement_descriptor": invoice.statement_descriptor,
        "status": invoice.status,
        "status_transitions": {
            "finalized_at": to_unix(invoice.finalized_at),
            "marked_uncollectible_at": to_unix(invoice.marked_uncollectible_at),
            "paid_at": to_unix(invoice.paid_at),
            "voided_at": to_unix(invoice.voided_at),
        },
        "subtotal": invoice.subtotal,
        "subtotal_excluding_tax": invoice.subtotal_excluding_tax,
        "test_clock": invoice.test_clock_id,
        "threshold_reason": None,
        "total": invoice.total,
        "total_discount_amounts": invoice.total_discount_amounts,
        "total_excluding_tax": invoice.total_excluding_tax,
        "total_pretax_credit_amounts": [],
        "total_taxes": invoice.total_taxes,
        "webhooks_delivered_at": None,
    }


def render_invoice_item(item: InvoiceItem, *, tax_rates: Mapping[str, TaxRate] | None = None) -> dict[str, Any]:
    parent = None
    if item.subscription_id:
        parent = {
            "subscription_details": {"subscription": item.subscription_id, "subscription_item": item.subscription_item},
            "type": "subscription_details",
        }
    return {
        "id": item.id,
        "object": "invoiceitem",
        "amount": item.amount,
        "currency": item.currency,
        "customer": item.customer_id,
        "customer_account": None,
        "date": to_unix(item.date),
        "description": item.description,
        "discountable": item.discountable,
        "discounts": [],
        "invoice": item.invoice_id,
        "livemode": item.livemode,
        "metadata": item.metadata,
        "net_amount": item.amount,
        "parent": parent,
        "period": _period(item.period_start, item.period_end),
        "pricing": _pricing(item.price if item.price_id else None, item.unit_amount),
        "proration": item.proration,
        "proration_details": {"credited_items": None},
        "quantity": item.quantity,
        "tax_rates": render_tax_rates(item.tax_rates, tax_rates),
        "test_clock": item.test_clock_id,
    }


@dataclass
class InvoiceRelations:
    """What invoices render with, loaded for many invoices at once."""

    lines: dict[str, list[InvoiceLineItem]] = field(default_factory=lambda: defaultdict(list))
    payments: dict[str, list[InvoicePayment]] = field(default_factory=lambda: defaultdict(list))
    tax_rates: TaxRates = field(default_factory=TaxRates)
    credited: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def load(cls, invoices: Sequence[Invoice]) -> InvoiceRelations:
        """Every line (price loaded), payment, tax rate and credit note total of ``invoices``: five
        queries (four for drafts)."""
        found = cls()
        ids = [inv.id for inv in invoices]
        if not ids:
            return found
        lines = list(InvoiceLineItem.objects.filter(invoice_id__in=ids).order_by("position"))
        # A batch bills few prices: read once and shared, not joined into every line row.
        prices = Price.objects.in_bulk({line.price_id for line in lines if line.price_id})
        for line in lines:
            if line.price_id:
                line.price = prices[line.price_id]
            found.lines[line.invoice_id].append(line)
        for payment in InvoicePayment.objects.filter(invoice_id__in=ids).order_by("created", "id"):
            found.payments[payment.invoice_id].append(payment)
        found.tax_rates.add(
            [rate for inv in invoices for rate in inv.default_tax_rates]
            + [rate for lines in found.lines.values() for line in lines for rate in line.tax_rates]
        )
        found.credited = _credited(invoices)
        return found

    def render(self, invoice: Invoice) -> dict[str, Any]:
        return render_invoice(
            invoice,
            lines=self.lines.get(invoice.id, []),
            payments=self.payments.get(invoice.id, []),
            tax_rates=self.tax_rates,
            credited=self.credited.get(invoice.id),
        )


def render_invoices(invoices: Sequence[Invoice]) -> list[dict[str, Any]]:
    """Many invoices in a constant number of queries (API lists)."""
    relations = InvoiceRelations.load(invoices)
    return [relations.render(inv) for inv in invoices]


def render_invoice_items(items: Sequence[InvoiceItem]) -> list[dict[str, Any]]:
    """Many invoice items (price loaded) with one query for their tax rates."""
    rates = TaxRates()
    rates.add(rate for item in items for rate in item.tax_rates)
    return [render_invoice_item(item, tax_rates=rates) for item in items]
