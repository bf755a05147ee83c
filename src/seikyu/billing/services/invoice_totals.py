"""Invoice amounts from lines, tax rates, discounts and the customer balance.

The arithmetic is ``seikyu.core.invoice_math.compute_invoice``; this module feeds it from the
models and writes its answer back in wire shape. ``InvoiceContext`` loads what a batch of invoices
needs in a constant number of queries, so creation, edits, finalization and rendering of many
invoices never query per invoice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from seikyu.core.invoice_math import InvoiceMath, MathDiscount, MathLine, MathTaxRate, TaxAmount, compute_invoice

from ..models import Discount, Invoice, InvoiceLineItem, InvoicePayment
from ..render.invoices import InvoiceRelations


@dataclass
class InvoiceContext(InvoiceRelations):
    """What invoices render with, plus their discounts (coupon loaded) to compute with.

    One context can follow a batch through several steps (finalize, then charge): each step
    ``ensure``s its invoices, and only invoices not seen yet are read."""

    discounts: dict[str, Discount] = field(default_factory=dict)
    loaded: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, invoices: Sequence[Invoice]) -> InvoiceContext:
        ctx = cls()
        ctx.ensure(invoices)
        return ctx

    def ensure(self, invoices: Sequence[Invoice]) -> None:
        """Read the lines, payments, tax rates, credit note totals and discounts of ``invoices``
        not loaded yet."""
        todo = [inv for inv in invoices if inv.id not in self.loaded]
        if not todo:
            return
        relations = InvoiceRelations.load(todo)
        self.lines.update(relations.lines)
        self.payments.update(relations.payments)
        self.tax_rates.update(relations.tax_rates)
        self.credited.update(relations.credited)
        self.loaded.update(inv.id for inv in todo)
        self.add_discounts([d for inv in todo for d in inv.discount_ids])

    def record_payments(self, payments: Iterable[InvoicePayment]) -> None:
        """Invoice payments made or changed since loading, so renderings show them without a
        re-read (a new one is the latest of its invoice, so it goes last)."""
        for payment in payments:
            known = self.payments[payment.invoice_id]
            for n, old in enumerate(known):
                if old.id == payment.id:
                    known[n] = payment
                    break
            else:
                known.append(payment)

    def add_discounts(self, ids: Iterable[str]) -> None:
        missing = set(ids) - self.discounts.keys()
        if missing:
            self.discounts.update({d.id: d for d in Discount.objects.filter(id__in=missing).select_related("coupon")})


def effective_rate_ids(line: InvoiceLineItem, invoice: Invoice) -> list[str]:
    """A line's own tax rates, or the invoice's defaults when it has none (Stripe's rule)."""
    return list(line.tax_rates) or list(invoice.default_tax_rates)


def _math_discount(discount: Discount, invoice: Invoice, lines: Sequence[InvoiceLineItem]) -> MathDiscount | None:
    coupon = discount.coupon
    if coupon.amount_off is not None and (coupon.currency or "").lower() != invoice.currency.lower():
        return None
    products = (coupon.applies_to or {}).get("products")
    scope = None
    if products:
        scope = frozenset(line.id for line in lines if line.price is not None and line.price.product_id in products)
    return MathDiscount(
        id=discount.id,
        percent_off=coupon.percent_off,
        amount_off=coupon.amount_off,
        line_keys=scope,
    )


def tax_wire(tax: TaxAmount) -> dict[str, Any]:
    """One rate's tax in its wire shape (an invoice's or credit note's ``total_taxes``, a line's ``taxes``)."""
    return {
        "amount": tax.amount,
        "tax_behavior": "inclusive" if tax.inclusive else "exclusive",
        "tax_rate_details": {"tax_rate": tax.rate_id},
        "taxability_reason": "not_available",
        "taxable_amount": tax.taxable_amount,
        "type": "tax_rate_details",
    }


def _discounts_wire(amounts: Iterable[tuple[str, int]]) -> list[dict[str, Any]]:
    return [{"amount": amount, "discount": discount_id} for discount_id, amount in amounts]


def compute_totals(
    invoice: Invoice,
    lines: Sequence[InvoiceLineItem],
    ctx: InvoiceContext,
    *,
    rounding: str,
    starting_balance: int,
) -> InvoiceMath:
    """Compute and set the invoice's and its lines' amounts (in memory; the caller saves)."""
    math_lines = [
        MathLine(
            key=line.id,
            amount=line.amount,
            discountable=line.discountable,
            tax_rates=tuple(
                MathTaxRate(rate.id, rate.percentage, rate.inclusive)
                for rate in (ctx.tax_rates[rid] for rid in effective_rate_ids(line, invoice) if rid in ctx.tax_rates)
            ),
        )
        for line in lines
    ]
    discounts = [
        md
        for did in invoice.discount_ids
        if did in ctx.discounts and (md := _math_discount(ctx.discounts[did], invoice, lines)) is not None
    ]
    result = compute_invoice(math_lines, discounts, rounding=rounding, starting_balance=starting_balance)
    for line, line_math in zip(lines, result.lines, strict=True):
        line.discount_amounts = _discounts_wire(line_math.discount_amounts)
        line.taxes = [tax_wire(tax) for tax in line_math.taxes]
    invoice.subtotal = result.subtotal
    invoice.subtotal_excluding_tax = result.subtotal_excluding_tax
    invoice.total = result.total
    invoice.total_excluding_tax = result.total_excluding_tax
    invoice.total_discount_amounts = _discounts_wire(result.total_discount_amounts)
    invoice.total_taxes = [tax_wire(tax) for tax in result.total_taxes]
    apply_balance(invoice, starting_balance)
    return result


def apply_balance(invoice: Invoice, starting_balance: int) -> None:
    """Settle ``invoice.total`` against the customer's balance as ``compute_invoice`` does
    (``core/invoice_math.py`` rule 4): a debit is collected with the invoice, a credit lowers the
    amount due but never below 0, and a negative total becomes credit (``ending_balance``).
    Finalization re-applies it with the balance read under lock, without recomputing the lines."""
    owed = invoice.total + starting_balance
    invoice.starting_balance = starting_balance
    invoice.amount_due = max(owed, 0)
    invoice.amount_remaining = invoice.amount_due - invoice.amount_paid
    # Stripe leaves ending_balance null until the invoice is finalized.
    invoice.ending_balance = None if invoice.status == Invoice.Status.DRAFT else min(owed, 0)


TOTAL_FIELDS = [
    "subtotal",
    "subtotal_excluding_tax",
    "total",
    "total_excluding_tax",
    "total_discount_amounts",
    "total_taxes",
    "starting_balance",
    "ending_balance",
    "amount_due",
    "amount_remaining",
]
LINE_TOTAL_FIELDS = ["discount_amounts", "taxes"]
