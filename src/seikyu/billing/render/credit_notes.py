"""Credit notes, their lines and customer balance transactions in their wire shape.

Like the invoice renderers, every function takes what it would otherwise query (lines, refund
links, tax rates), so a page of credit notes renders in a constant number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from seikyu.core.clock import to_unix

from ..links import credit_note_pdf_url
from ..models import CreditNote, CreditNoteLineItem, CreditNoteRefund, CustomerBalanceTransaction, Invoice, TaxRate
from .catalog import TaxRates, render_tax_rates
from .invoices import NESTED_LINES, nested_list


def _pretax_credit_amounts(discount_amounts: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"amount": d["amount"], "credit_balance_transaction": None, "discount": d["discount"], "type": "discount"}
        for d in discount_amounts
    ]


def render_credit_note_line(
    line: CreditNoteLineItem, *, tax_rates: Mapping[str, TaxRate] | None = None
) -> dict[str, Any]:
    """``tax_rates``: at least the line's rates (queried when omitted)."""
    return {
        "id": line.id,
        "object": "credit_note_line_item",
        "amount": line.amount,
        "description": line.description,
        "discount_amount": line.discount_amount,
        "discount_amounts": line.discount_amounts,
        "invoice_line_item": line.invoice_line_item_id,
        "livemode": line.livemode,
        "metadata": line.metadata,
        "pretax_credit_amounts": _pretax_credit_amounts(line.discount_amounts),
        "quantity": line.quantity,
        "tax_rates": render_tax_rates(line.tax_rates, tax_rates),
        "taxes": line.taxes,
        "type": line.type,
        "unit_amount": line.unit_amount,
        "unit_amount_decimal": None if line.unit_amount is None else str(line.unit_amount),
    }


def render_refund_link(link: CreditNoteRefund) -> dict[str, Any]:
    return {
        "amount_refunded": link.amount_refunded,
        "payment_record_refund": None,
        "refund": link.refund_id,
        "type": "refund",
    }


def render_credit_note(
    note: CreditNote,
    *,
    lines: Sequence[CreditNoteLineItem] | None = None,
    refund_links: Sequence[CreditNoteRefund] | None = None,
    tax_rates: Mapping[str, TaxRate] | None = None,
) -> dict[str, Any]:
    """``lines``: the note's lines in order (the first ten are nested); ``refund_links``: its
    refunds; ``tax_rates``: at least its lines' rates. Each is queried when omitted."""
    if lines is None:
        lines = list(note.lines.order_by("position")[: NESTED_LINES + 1])
    if refund_links is None:
        refund_links = list(note.refund_links.order_by("id"))
    if tax_rates is None:
        tax_rates = TaxRate.objects.in_bulk({rid for line in lines for rid in line.tax_rates})
    return {
        "id": note.id,
        "object": "credit_note",
        "amount": note.total,
        "amount_shipping": 0,
        "created": to_unix(note.created),
        "currency": note.currency,
        "customer": note.customer_id,
        "customer_account": None,
        "customer_balance_transaction": note.customer_balance_transaction_id,
        "discount_amount": note.discount_amount,
        "discount_amounts": note.discount_amounts,
        "effective_at": to_unix(note.effective_at),
        "invoice": note.invoice_id,
        "lines": nested_list(
            f"/v1/credit_notes/{note.id}/lines",
            [render_credit_note_line(line, tax_rates=tax_rates) for line in lines[:NESTED_LINES]],
            has_more=len(lines) > NESTED_LINES,
        ),
        "livemode": note.livemode,
        "memo": note.memo,
        "metadata": note.metadata,
        "number": note.number,
        "out_of_band_amount": note.out_of_band_amount,
        # The issued document (適格返還請求書); a voided note keeps it.
        "pdf": credit_note_pdf_url(note.id),
        "post_payment_amount": note.post_payment_amount,
        "pre_payment_amount": note.pre_payment_amount,
        "pretax_credit_amounts": _pretax_credit_amounts(note.discount_amounts),
        "reason": note.reason,
        "refunds": [render_refund_link(link) for link in refund_links],
        "shipping_cost": None,
        "status": note.status,
        "subtotal": note.subtotal,
        "subtotal_excluding_tax": note.subtotal_excluding_tax,
        "total": note.total,
        "total_excluding_tax": note.total_excluding_tax,
        "total_taxes": note.total_taxes,
        "type": note.type,
        "voided_at": to_unix(note.voided_at),
    }


@dataclass
class CreditNoteRelations:
    """What credit notes render with, loaded for many notes at once (three queries)."""

    lines: dict[str, list[CreditNoteLineItem]] = field(default_factory=lambda: defaultdict(list))
    refund_links: dict[str, list[CreditNoteRefund]] = field(default_factory=lambda: defaultdict(list))
    tax_rates: TaxRates = field(default_factory=TaxRates)

    @classmethod
    def load(cls, notes: Sequence[CreditNote]) -> CreditNoteRelations:
        found = cls()
        ids = [note.id for note in notes]
        if not ids:
            return found
        for line in CreditNoteLineItem.objects.filter(credit_note_id__in=ids).order_by("position"):
            found.lines[line.credit_note_id].append(line)
        for link in CreditNoteRefund.objects.filter(credit_note_id__in=ids).order_by("id"):
            found.refund_links[link.credit_note_id].append(link)
        found.tax_rates.add(rid for lines in found.lines.values() for line in lines for rid in line.tax_rates)
        return found

    def render(self, note: CreditNote) -> dict[str, Any]:
        return render_credit_note(
            note,
            lines=self.lines.get(note.id, []),
            refund_links=self.refund_links.get(note.id, []),
            tax_rates=self.tax_rates,
        )


def render_credit_notes(notes: Sequence[CreditNote]) -> list[dict[str, Any]]:
    relations = CreditNoteRelations.load(notes)
    return [relations.render(note) for note in notes]


def render_credit_note_lines(lines: Sequence[CreditNoteLineItem]) -> list[dict[str, Any]]:
    rates = TaxRates()
    rates.add(rid for line in lines for rid in line.tax_rates)
    return [render_credit_note_line(line, tax_rates=rates) for line in lines]


def render_customer_balance_transaction(txn: CustomerBalanceTransaction) -> dict[str, Any]:
    return {
        "id": txn.id,
        "object": "customer_balance_transaction",
        "amount": txn.amount,
        "checkout_session": None,
        "created": to_unix(txn.created),
        "credit_note": txn.credit_note_id,
        "currency": txn.currency,
        "customer": txn.customer_id,
        "customer_account": None,
        "description": txn.description,
        "ending_balance": txn.ending_balance,
        "invoice": txn.invoice_id,
        "livemode": txn.livemode,
        "metadata": txn.metadata,
        "type": txn.type,
    }


CREDIT_TOTAL_FIELDS = ("pre_payment_credit_notes_amount", "post_payment_credit_notes_amount")


def credit_totals_for(invoice_ids: Iterable[str]) -> dict[str, dict[str, int]]:
    """Each invoice's ``pre_payment_credit_notes_amount`` and ``post_payment_credit_notes_amount``:
    the sums over its issued (not voided) credit notes, one query for any number of invoices.
    Invoices without credit notes get zeros."""
    ids = set(invoice_ids)
    totals = {invoice_id: dict.fromkeys(CREDIT_TOTAL_FIELDS, 0) for invoice_id in ids}
    if not ids:
        return totals
    rows = (
        CreditNote.objects.filter(invoice_id__in=ids, status=CreditNote.Status.ISSUED)
        .values("invoice_id")
        .annotate(pre=Sum("pre_payment_amount"), post=Sum("post_payment_amount"))
    )
    for row in rows:
        totals[row["invoice_id"]] = {
            "pre_payment_credit_notes_amount": row["pre"] or 0,
            "post_payment_credit_notes_amount": row["post"] or 0,
        }
    return totals


# Japan's standard consumption-tax rate; lines taxed below it (8 %: food, newspapers) are
# reduced-rate items, which a return invoice (適格返還請求書) marks.
STANDARD_RATE = Decimal(10)


def _is_reduced(rate: TaxRate | None) -> bool:
    return rate is not None and 0 < rate.percentage < STANDARD_RATE


def credit_note_documents_data(notes: Sequence[CreditNote]) -> list[dict[str, Any]]:
    """What each credit note's document (適格返還請求書) prints, as plain data: the refund date,
    the original invoice's number and date, the lines with their reduced-rate flag, the refund and
    tax per rate, and the issuer as it was at issue. Keys follow ``documents.content.CreditNoteData``
    (lines as ``Line``, taxes as ``TaxRow`` fields); amounts are positive (what is credited).
    Three queries for any number of notes (invoices with their customers, lines, tax rates)."""
    if not notes:
        return []
    invoices = Invoice.objects.select_related("customer").in_bulk({note.invoice_id for note in notes})
    lines: dict[str, list[CreditNoteLineItem]] = defaultdict(list)
    for line in CreditNoteLineItem.objects.filter(credit_note_id__in=[note.id for note in notes]).order_by(
        "credit_note_id", "position"
    ):
        lines[line.credit_note_id].append(line)
    rate_ids = {rid for found in lines.values() for line in found for rid in line.tax_rates}
    rate_ids |= {t["tax_rate_details"]["tax_rate"] for note in notes for t in note.total_taxes}
    rates = TaxRate.objects.in_bulk(rate_ids)
    return [_document_data(note, invoices[note.invoice_id], lines[note.id], rates) for note in notes]


def credit_note_document_data(note: CreditNote) -> dict[str, Any]:
    """One note's ``credit_note_documents_data``."""
    [data] = credit_note_documents_data([note])
    return data


def _document_data(
    note: CreditNote, invoice: Invoice, lines: Sequence[CreditNoteLineItem], rates: Mapping[str, TaxRate]
) -> dict[str, Any]:
    return {
        "id": note.id,
        "number": note.number,
        "livemode": note.livemode,
        "customer_id": note.customer_id,
        "customer_name": invoice.customer_name or invoice.customer.name,
        "customer_address": invoice.customer_address,
        "currency": note.currency,
        "issued_at": note.effective_at,
        "invoice_number": invoice.number,
        "invoice_date": invoice.effective_at or invoice.finalized_at or invoice.created,
        "lines": [
            {
                "description": line.description or "",
                "amount": line.amount,
                "quantity": line.quantity,
                "unit_amount": line.unit_amount,
                "reduced": any(_is_reduced(rates.get(rid)) for rid in line.tax_rates),
            }
            for line in lines
        ],
        "taxes": [
            {
                "percentage": rates[t["tax_rate_details"]["tax_rate"]].percentage,
                "taxable_amount": t["taxable_amount"],
                "tax_amount": t["amount"],
                "inclusive": t["tax_behavior"] == "inclusive",
                "reduced": _is_reduced(rates.get(t["tax_rate_details"]["tax_rate"])),
            }
            for t in note.total_taxes
        ],
        "total": note.total,
        "reason": note.reason,
        "memo": note.memo,
        "issuer": note.issuer,
    }
