"""Credit notes: corrections of finalized invoices (Stripe's rules; see README-credit-notes.md).

A credit note first lowers what the invoice still owes (``pre_payment_amount``, never below 0;
an invoice brought to 0 is paid). The rest (``post_payment_amount``) goes back to the customer as
refunds of the invoice's charges, customer balance credit and/or money returned outside Seikyu,
which must add up to it exactly. Amounts and tax come from ``core.invoice_math.compute_invoice``
run on the credit lines, so tax is rounded once per rate per credit note. A preview runs the same
code inside a transaction that is always rolled back (no refund is made for it).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Sum

from seikyu.account.services import issuer_snapshot
from seikyu.core.errors import InvalidRequest, ResourceMissing
from seikyu.core.ids import new_id
from seikyu.events.services import PendingEvent, emit_many, previous_attributes

from ..clock import now_for
from ..models import (
    Charge,
    CreditNote,
    CreditNoteLineItem,
    CreditNoteRefund,
    Invoice,
    InvoicePayment,
    PaymentIntent,
    Refund,
)
from ..render.credit_notes import CreditNoteRelations, render_credit_note, render_credit_note_line
from .catalog import load, merge_metadata
from .credit_note_lines import compute_credit, line_row, resolve_lines
from .customer_balance import BalanceChange, apply_balance_changes
from .invoice_lifecycle import lock_invoices, mark_paid, tell_subscriptions
from .invoice_totals import InvoiceContext
from .payments import cancel_invoice_payments, create_refund
from .preview import discarded

Status = Invoice.Status
REASONS = ("duplicate", "fraudulent", "order_change", "product_unsatisfactory")
_CREDITABLE = (Status.OPEN, Status.PAID, Status.UNCOLLECTIBLE)
_OWING = (Status.OPEN, Status.UNCOLLECTIBLE)
# Stripe's refund reasons are fewer: anything but a duplicate or fraud was asked for by the customer.
_REFUND_REASON = {"duplicate": "duplicate", "fraudulent": "fraudulent"}
_INVOICE_FIELDS = [
    "status",
    "amount_due",
    "amount_paid",
    "amount_remaining",
    "paid_at",
    "next_payment_attempt",
    "next_action_at",
]


@dataclass
class _Allocation:
    """Where the post-payment part goes."""

    refund_amount: int
    credit_amount: int
    out_of_band_amount: int | None
    # Existing refunds linked to the note: (refund, amount of it covered by the note).
    linked: list[tuple[Refund, int]]

    @property
    def total(self) -> int:
        return self.refund_amount + self.credit_amount + (self.out_of_band_amount or 0) + self.linked_amount

    @property
    def linked_amount(self) -> int:
        return sum(amount for _, amount in self.linked)


# --------------------------------------------------------------------------- issuing


def create_credit_note(data: Mapping[str, Any], *, livemode: bool) -> CreditNote:
    """``POST /v1/credit_notes``: issue a credit note for a finalized invoice (see the module)."""
    with transaction.atomic():
        return _issue(data, livemode=livemode, preview=False)


def preview_credit_note(data: Mapping[str, Any], *, livemode: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``GET /v1/credit_notes/preview``: the note that ``create_credit_note(data)`` would issue now,
    rendered, and all its lines rendered; nothing is kept and no refund is made."""
    with discarded():
        note = _issue(data, livemode=livemode, preview=True)
        relations = CreditNoteRelations.load([note])
        # Its balance transaction is rolled back with it, and it has no document.
        rendered = {**relations.render(note), "customer_balance_transaction": None, "pdf": None}
        lines = [
            render_credit_note_line(line, tax_rates=relations.tax_rates) for line in relations.lines.get(note.id, [])
        ]
    return rendered, lines


def _issue(data: Mapping[str, Any], *, livemode: bool, preview: bool) -> CreditNote:
    _check_request(data)
    invoice = _creditable_invoice(str(data["invoice"]), livemode=livemode)
    now = now_for(invoice)
    ctx = InvoiceContext.load([invoice])
    invoice_before = _render_invoice(invoice, ctx)
    lines = resolve_lines(data, invoice, ctx)
    note = compute_credit(lines, invoice)
    charges = _succeeded_charges(invoice)
    allocation = _allocation(data, invoice, charges)
    _check_amounts(data, note, invoice, charges, allocation)

    note.id = new_id("cn")
    note.livemode = livemode
    note.created = now
    note.metadata = merge_metadata({}, data.get("metadata") or {})
    note.invoice = invoice
    note.customer_id = invoice.customer_id
    note.currency = invoice.currency
    note.reason = data.get("reason")
    note.memo = data.get("memo")
    effective_at = data.get("effective_at")
    note.effective_at = now if effective_at is None else dt.datetime.fromtimestamp(int(effective_at), dt.UTC)
    note.refund_amount = allocation.refund_amount
    note.credit_amount = allocation.credit_amount
    note.out_of_band_amount = allocation.out_of_band_amount
    note.type = _note_type(note)
    note.issuer = issuer_snapshot()
    note.email_type = data.get("email_type") or CreditNote.EmailType.CREDIT_NOTE
    # Voided notes keep their numbers: a number is never given twice.
    note.number = f"{invoice.number}-CN-{CreditNote.objects.filter(invoice_id=invoice.id).count() + 1:02d}"
    note.save(force_insert=True)
    CreditNoteLineItem.objects.bulk_create([line_row(line, note, position) for position, line in enumerate(lines)])

    links = [CreditNoteRefund(credit_note=note, refund=r, amount_refunded=amount) for r, amount in allocation.linked]
    if allocation.refund_amount and not preview:
        links += _refund(note, charges, allocation.refund_amount)
    CreditNoteRefund.objects.bulk_create(links)
    if allocation.credit_amount:
        [txn] = apply_balance_changes([_balance_change(note, -allocation.credit_amount, now)])
        note.customer_balance_transaction = txn
        note.save(update_fields=["customer_balance_transaction"])

    paid = _change_amount_owed(invoice, -note.pre_payment_amount, now=now)
    events = [PendingEvent("credit_note.created", render_credit_note(note), now, livemode)]
    events += _invoice_events(invoice, invoice_before, paid=paid, now=now)
    emit_many(events)
    if paid:
        tell_subscriptions("on_invoices_paid", [invoice], now=now)
    return note


def _check_request(data: Mapping[str, Any]) -> None:
    """What can be checked before reading anything."""
    if not data.get("invoice"):
        raise InvalidRequest("Missing required param: invoice.", code="parameter_missing", param="invoice")
    reason = data.get("reason")
    if reason is not None and reason not in REASONS:
        raise InvalidRequest(f"Invalid reason: must be one of {', '.join(REASONS)}", param="reason")
    for name in ("amount", "refund_amount", "credit_amount", "out_of_band_amount"):
        if data.get(name) is not None and int(data[name]) < 0:
            raise InvalidRequest(f"Invalid {name}: must be 0 or more.", param=name)
    if data.get("amount") is None and not data.get("lines"):
        raise InvalidRequest("One of `amount` or `lines` is required.", code="parameter_missing", param="lines")
    email_type = data.get("email_type")
    if email_type is not None and email_type not in CreditNote.EmailType.values:
        raise InvalidRequest(
            f"Invalid email_type: must be one of {', '.join(CreditNote.EmailType.values)}", param="email_type"
        )


def _creditable_invoice(invoice_id: str, *, livemode: bool) -> Invoice:
    """The invoice, locked: its credit notes are numbered and checked against it one at a time."""
    invoice = load(Invoice, invoice_id, livemode=livemode, kind="invoice", param="invoice", for_update=True)
    if invoice.status not in _CREDITABLE:
        raise InvalidRequest(
            f"You can only issue a credit note for an open, paid or uncollectible invoice; "
            f"invoice {invoice.id} is {invoice.status}.",
            code="invoice_not_finalized" if invoice.status == Status.DRAFT else "invoice_unexpected_state",
            param="invoice",
        )
    return invoice


def _check_amounts(
    data: Mapping[str, Any], note: CreditNote, invoice: Invoice, charges: Sequence[Charge], allocation: _Allocation
) -> None:
    """Check the note's total against the request and the invoice, and split it into its pre- and
    post-payment parts (set on ``note``); the allocation must cover the post-payment part exactly."""
    total_param = "amount" if data.get("amount") is not None else "lines"
    if data.get("amount") is not None and data.get("lines") and int(data["amount"]) != note.total:
        raise InvalidRequest(
            f"The amount ({data['amount']}) must equal the total of the credit note's lines ({note.total}).",
            param="amount",
        )
    if note.total <= 0:
        raise InvalidRequest("A credit note must credit a positive amount.", param=total_param)
    _check_creditable(invoice, note.total, charges, allocation, param=total_param)
    note.pre_payment_amount = min(note.total, invoice.amount_remaining) if invoice.status in _OWING else 0
    note.post_payment_amount = note.total - note.pre_payment_amount
    if allocation.total != note.post_payment_amount:
        raise InvalidRequest(_allocation_message(allocation, note.post_payment_amount), param=_allocation_param(data))
    currency = invoice.customer.currency
    if allocation.credit_amount and currency not in (None, invoice.currency):
        raise InvalidRequest(
            f"The customer's balance is in {currency}, not in the invoice's {invoice.currency}.",
            param="credit_amount",
        )


def _balance_change(note: CreditNote, amount: int, at: dt.datetime) -> BalanceChange:
    return BalanceChange(
        customer_id=note.customer_id,
        amount=amount,
        currency=note.currency,
        type="credit_note",
        created=at,
        invoice_id=note.invoice_id,
        credit_note_id=note.id,
    )


def _render_invoice(invoice: Invoice, ctx: InvoiceContext | None = None) -> dict[str, Any]:
    """The invoice as its events show it. Without ``ctx`` its relations (credit note totals
    included) are read afresh (a note that pays the invoice cancels its unfinished payment)."""
    return (ctx or InvoiceContext.load([invoice])).render(invoice)


def _invoice_events(invoice: Invoice, before: dict[str, Any], *, paid: bool, now: dt.datetime) -> list[PendingEvent]:
    after = _render_invoice(invoice)
    events = [PendingEvent("invoice.updated", after, now, invoice.livemode, previous_attributes(before, after))]
    if paid:
        events.append(PendingEvent("invoice.paid", after, now, invoice.livemode))
    return events


def _note_type(note: CreditNote) -> str:
    if note.post_payment_amount == 0:
        return CreditNote.Type.PRE_PAYMENT.value
    if note.pre_payment_amount == 0:
        return CreditNote.Type.POST_PAYMENT.value
    return CreditNote.Type.MIXED.value


# --------------------------------------------------------------------------- where the money goes


def _succeeded_charges(invoice: Invoice) -> list[Charge]:
    return list(
        Charge.objects.filter(payment_intent__invoice_id=invoice.id, status="succeeded").order_by("created", "id")
    )


def _allocation(data: Mapping[str, Any], invoice: Invoice, charges: Sequence[Charge]) -> _Allocation:
    refund_amount = int(data.get("refund_amount") or 0)
    refundable = sum(charge.amount_captured - charge.amount_refunded for charge in charges)
    if refund_amount > refundable:
        raise InvalidRequest(
            f"The refund_amount ({refund_amount}) is more than can be refunded on invoice {invoice.id}'s "
            f"charges ({refundable}).",
            param="refund_amount",
        )
    out_of_band = data.get("out_of_band_amount")
    return _Allocation(
        refund_amount=refund_amount,
        credit_amount=int(data.get("credit_amount") or 0),
        out_of_band_amount=None if out_of_band is None else int(out_of_band),
        linked=_linked_refunds(data.get("refunds"), invoice, charges),
    )


def _linked_refunds(
    raw: Sequence[Mapping[str, Any]] | None, invoice: Invoice, charges: Sequence[Charge]
) -> list[tuple[Refund, int]]:
    """``refunds[]``: earlier refunds of the invoice's charges that the note accounts for."""
    if not raw:
        return []
    ids = {str(entry.get("refund")) for entry in raw if entry.get("refund")}
    refunds = Refund.objects.filter(livemode=invoice.livemode, charge__in=list(charges)).in_bulk(ids)
    taken: dict[str, int] = defaultdict(int)
    for row in (
        CreditNoteRefund.objects.filter(refund_id__in=ids).values("refund_id").annotate(taken=Sum("amount_refunded"))
    ):
        taken[row["refund_id"]] = row["taken"]
    linked = []
    for index, entry in enumerate(raw):
        param = f"refunds[{index}]"
        if entry.get("type") not in (None, "refund"):
            raise InvalidRequest(f"Invalid {param}[type]: must be refund", param=f"{param}[type]")
        if not entry.get("refund"):
            raise InvalidRequest(
                f"Missing required param: {param}[refund].", code="parameter_missing", param=f"{param}[refund]"
            )
        refund = refunds.get(str(entry["refund"]))
        if refund is None:
            raise ResourceMissing("refund", str(entry["refund"]), param=f"{param}[refund]")
        available = refund.amount - taken[refund.id]
        amount = available if entry.get("amount_refunded") is None else int(entry["amount_refunded"])
        if not 0 < amount <= available:
            raise InvalidRequest(
                f"Refund {refund.id} has {available} left to link to credit notes; {amount} was asked for.",
                param=f"{param}[amount_refunded]",
            )
        taken[refund.id] += amount
        linked.append((refund, amount))
    return linked


def _check_creditable(
    invoice: Invoice, total: int, charges: Sequence[Charge], allocation: _Allocation, *, param: str
) -> None:
    """Stripe's limit: the invoice's total less what credit notes already credited, less the
    refunds of its charges that no credit note accounts for (nor this one)."""
    credited = (
        CreditNote.objects.filter(invoice_id=invoice.id, status=CreditNote.Status.ISSUED).aggregate(s=Sum("total"))["s"]
        or 0
    )
    refunded = (
        Refund.objects.filter(charge__in=list(charges), status__in=("succeeded", "pending")).aggregate(s=Sum("amount"))[
            "s"
        ]
        or 0
    )
    linked = (
        CreditNoteRefund.objects.filter(refund__charge__in=list(charges)).aggregate(s=Sum("amount_refunded"))["s"] or 0
    )
    unaccounted = max(refunded - linked - allocation.linked_amount, 0)
    creditable = max(invoice.total - credited - unaccounted, 0)
    if total > creditable:
        raise InvalidRequest(
            f"The credit note's total ({total}) is more than is left to credit on invoice {invoice.id} "
            f"({creditable}: its total {invoice.total}, less {credited} already credited"
            + (f" and {unaccounted} refunded without a credit note" if unaccounted else "")
            + ").",
            param=param,
        )


_ALLOCATION_PARAMS = ("refund_amount", "credit_amount", "out_of_band_amount", "refunds")


def _allocation_param(data: Mapping[str, Any]) -> str:
    return next((name for name in _ALLOCATION_PARAMS if data.get(name)), "refund_amount")


def _allocation_message(allocation: _Allocation, post_payment: int) -> str:
    if post_payment == 0:
        return (
            "The invoice still owes more than the credit note's total, so the whole note lowers the amount due: "
            "refund_amount, credit_amount, out_of_band_amount and refunds must be 0 or left out."
        )
    return (
        f"{post_payment} of the credit note goes back to the customer (post_payment_amount: the part of the "
        f"total beyond the invoice's amount_remaining): refund_amount + credit_amount + out_of_band_amount + "
        f"refunds must add up to it exactly, and add up to {allocation.total}."
    )


def _refund(note: CreditNote, charges: Sequence[Charge], amount: int) -> list[CreditNoteRefund]:
    """Refund ``amount`` from the invoice's charges, oldest first (``refund.created``, ``charge.refunded``)."""
    reason = _REFUND_REASON.get(note.reason or "", "requested_by_customer") if note.reason else None
    links = []
    for charge in charges:
        part = min(amount, charge.amount_captured - charge.amount_refunded)
        if part <= 0:
            continue
        refund = create_refund(livemode=note.livemode, charge_id=charge.id, amount=part, reason=reason)
        links.append(CreditNoteRefund(credit_note=note, refund=refund, amount_refunded=part))
        amount -= part
        if amount == 0:
            break
    return links


# --------------------------------------------------------------------------- the invoice's side


def _change_amount_owed(invoice: Invoice, change: int, *, now: dt.datetime) -> bool:
    """Add ``change`` to what the invoice still owes (saved); True when that made it paid. The
    unfinished PaymentIntent follows, so the next attempt charges the new amount; an invoice
    credited down to 0 is paid and its PaymentIntent canceled."""
    if change == 0:
        return False
    invoice.amount_due += change
    invoice.amount_remaining += change
    paid = invoice.amount_remaining == 0
    if paid:
        cancel_invoice_payments([invoice], now=now, reason="automatic")
        mark_paid(invoice, now=now)
    else:
        open_payments = InvoicePayment.objects.filter(
            invoice_id=invoice.id, status="open", payment_type="payment_intent"
        )
        PaymentIntent.objects.filter(
            id__in=open_payments.values("payment_intent_id"), status__in=_UNFINISHED_INTENT
        ).update(amount=invoice.amount_remaining)
        open_payments.update(amount_requested=invoice.amount_remaining)
    invoice.save(update_fields=_INVOICE_FIELDS)
    return paid


_UNFINISHED_INTENT = (
    PaymentIntent.Status.REQUIRES_PAYMENT_METHOD,
    PaymentIntent.Status.REQUIRES_CONFIRMATION,
    PaymentIntent.Status.REQUIRES_ACTION,
)


# --------------------------------------------------------------------------- after issue


def update_credit_note(note: CreditNote, data: Mapping[str, Any]) -> CreditNote:
    """``POST /v1/credit_notes/{id}``: ``memo`` and ``metadata`` only (``credit_note.updated``)."""
    refused = sorted(set(data) - {"memo", "metadata"})
    if refused:
        raise InvalidRequest(f"Only memo and metadata of a credit note can change, not {refused[0]}.", param=refused[0])
    with transaction.atomic():
        before = render_credit_note(note)
        if "memo" in data:
            note.memo = data["memo"]
        if "metadata" in data:
            note.metadata = merge_metadata(note.metadata, data["metadata"])
        note.save(update_fields=["memo", "metadata"])
        after = render_credit_note(note)
        changed = previous_attributes(before, after)
        if changed:
            emit_many([PendingEvent("credit_note.updated", after, now_for(note.invoice), note.livemode, changed)])
    return note


def void_credit_note(note: CreditNote) -> CreditNote:
    """``POST /v1/credit_notes/{id}/void``: undo an issued note (``credit_note.voided``).

    What the note lowered on the invoice is owed again, so the invoice must still be open or
    uncollectible when the note has a pre-payment part; balance credit is taken back from the
    customer (their balance may become a debit); a note that refunded money can't be voided."""
    with transaction.atomic():
        [invoice] = lock_invoices([note.invoice])
        note.refresh_from_db()
        if note.status == CreditNote.Status.VOID:
            raise InvalidRequest(f"Credit note {note.id} is already void.", code="credit_note_already_voided")
        if note.refund_links.exists():
            raise InvalidRequest(
                f"Credit note {note.id} refunded money, and refunds can't be undone, so it can't be voided.",
                code="credit_note_unexpected_state",
            )
        if note.pre_payment_amount and invoice.status not in _OWING:
            raise InvalidRequest(
                f"Credit note {note.id} lowered what invoice {invoice.id} owed, and the invoice is now "
                f"{invoice.status}: it can only be voided while the invoice is open or uncollectible.",
                code="credit_note_unexpected_state",
            )
        now = now_for(invoice)
        invoice_before = _render_invoice(invoice)
        note.status = CreditNote.Status.VOID
        note.voided_at = now
        note.save(update_fields=["status", "voided_at"])
        if note.credit_amount:
            apply_balance_changes([_balance_change(note, note.credit_amount, now)])
        _change_amount_owed(invoice, note.pre_payment_amount, now=now)
        events = [PendingEvent("credit_note.voided", render_credit_note(note), now, note.livemode)]
        events += _invoice_events(invoice, invoice_before, paid=False, now=now)
        emit_many(events)
    return note
