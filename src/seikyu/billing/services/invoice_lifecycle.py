"""Invoice state changes after creation: finalize, void, mark uncollectible, send.

States and moves (Stripe's): draft → open (finalize; an invoice with nothing due is paid at once)
→ paid | void | uncollectible; uncollectible → paid | void. Every move locks the invoice rows,
re-reads them, and is a no-op for rows already past it, so batch callers (the billing clock, the
subscription engine) can hand over invoices without checking their state first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from django.db import transaction

from seikyu.account.services import issuer_snapshot
from seikyu.core.errors import InvalidRequest
from seikyu.db.rows import bulk_save
from seikyu.events.services import PendingEvent, emit_many

from ..clock import now_for
from ..models import BillingSettings, Customer, Invoice, TaxId
from .customer_balance import BalanceChange, apply_balance_changes, lock_customers, usable_balance
from .dunning import overdue_final_at
from .invoice_totals import InvoiceContext, apply_balance
from .numbering import assign_numbers
from .payments import cancel_invoice_payments
from .settings import billing_settings_for

Status = Invoice.Status

_FIELDS = [f for f in Invoice._meta.concrete_fields if not f.primary_key]


def lock_invoices(invoices: Sequence[Invoice]) -> list[Invoice]:
    """Lock the rows and refresh the given instances from them (one query). Deleted invoices are
    left out. The callers' own objects stay the ones they hold, now current."""
    fresh = Invoice.objects.select_for_update().in_bulk([inv.id for inv in invoices])
    kept = []
    for inv in invoices:
        row = fresh.get(inv.id)
        if row is None:
            continue
        for f in _FIELDS:
            setattr(inv, f.attname, getattr(row, f.attname))
        kept.append(inv)
    return kept


def emit_invoice_events(pairs: Iterable[tuple[str, Invoice]], ctx: InvoiceContext, *, now: dt.datetime) -> None:
    """Events about invoices, each showing the invoice as it is now (rendered once per invoice)."""
    rendered: dict[str, dict[str, Any]] = {}
    emit_many(
        PendingEvent(kind, rendered.get(inv.id) or rendered.setdefault(inv.id, ctx.render(inv)), now, inv.livemode)
        for kind, inv in pairs
    )


def tell_subscriptions(hook: str, invoices: Sequence[Invoice], *, now: dt.datetime, **kwargs: bool) -> None:
    """Call ``subscription_status.<hook>`` for each subscription invoice (``on_invoices_paid``
    takes them all at once). Imported late: the subscription engine imports this package."""
    subscribed = [inv for inv in invoices if inv.subscription_id]
    if not subscribed:
        return
    from . import subscription_status

    if hook == "on_invoices_paid":
        subscription_status.on_invoices_paid(subscribed, now=now)
        return
    handler = getattr(subscription_status, hook)
    for inv in subscribed:
        handler(inv, now=now, **kwargs)


def mark_paid(inv: Invoice, *, now: dt.datetime) -> None:
    inv.status = Status.PAID
    inv.paid_at = now
    inv.amount_paid += inv.amount_remaining
    inv.amount_remaining = 0
    inv.next_payment_attempt = None
    inv.next_action_at = None


def _snapshot_customer(inv: Invoice, customer: Customer, tax_ids: Mapping[str, list[TaxId]]) -> None:
    inv.customer_email = customer.email
    inv.customer_name = customer.name
    inv.customer_phone = customer.phone
    inv.customer_address = customer.address
    inv.customer_tax_exempt = customer.tax_exempt
    inv.customer_tax_ids = [{"type": t.type, "value": t.value} for t in tax_ids.get(customer.id, [])]


def customer_tax_ids(customer_ids: Iterable[str]) -> dict[str, list[TaxId]]:
    found: dict[str, list[TaxId]] = {}
    for tax_id in TaxId.objects.filter(customer_id__in=set(customer_ids)).order_by("created", "id"):
        found.setdefault(tax_id.customer_id, []).append(tax_id)
    return found


def snapshot_customers(invoices: Sequence[Invoice], customers: Mapping[str, Customer]) -> None:
    tax_ids = customer_tax_ids(customers)
    for inv in invoices:
        _snapshot_customer(inv, customers[inv.customer_id], tax_ids)


def open_action_at(inv: Invoice, settings: BillingSettings) -> dt.datetime | None:
    """When an invoice just finalized next needs the billing clock (send_invoice: its due date)."""
    if inv.status != Status.OPEN or inv.collection_method != "send_invoice":
        return None
    return inv.due_date if inv.overdue_sent_at is None else overdue_final_at(inv, settings)


def finalize_invoices(
    invoices: Sequence[Invoice],
    *,
    now: dt.datetime,
    locked: bool = False,
    ctx: InvoiceContext | None = None,
    write: bool = True,
) -> list[Invoice]:
    """Finalize the drafts among ``invoices`` (others are skipped) and return them.

    Numbers them, copies the customer's details, sets the due date of send_invoice invoices,
    settles the customer balance (an ``applied_to_invoice`` balance transaction for each invoice
    that moved it), and marks paid at once those with nothing due (no payment
    attempt; ``invoice.paid`` and ``invoice.payment_succeeded`` follow ``invoice.finalized``).
    ``locked``: the caller already holds the rows locked and its instances are current (the
    billing clock's claim), so they are not read again. ``ctx``: a context to render with that
    the caller goes on using. ``write=False``: the caller writes ``FINALIZE_FIELDS`` of the
    returned invoices itself before its transaction ends (the billing clock writes each invoice
    once, with its payment outcome)."""
    with transaction.atomic():
        drafts = [inv for inv in (invoices if locked else lock_invoices(invoices)) if inv.status == Status.DRAFT]
        if not drafts:
            return []
        customers = lock_customers(inv.customer_id for inv in drafts)
        settings = billing_settings_for(inv.livemode for inv in drafts)
        ctx = ctx if ctx is not None else InvoiceContext()
        ctx.ensure(drafts)
        assign_numbers(drafts, customers, settings)
        snapshot_customers(drafts, customers)
        issuer = issuer_snapshot()
        balances = {customer.id: customer.balance for customer in customers.values()}
        applied = []
        paid = []
        for inv in drafts:
            inv.issuer = issuer
            inv.status = Status.OPEN
            inv.finalized_at = inv.effective_at = now
            inv.automatically_finalizes_at = None
            if inv.collection_method == "send_invoice" and inv.days_until_due is not None:
                inv.due_date = now + dt.timedelta(days=inv.days_until_due)
            customer = customers[inv.customer_id]
            usable = usable_balance(balances[inv.customer_id], customer.currency, inv.currency)
            apply_balance(inv, usable)
            balances[inv.customer_id] += (inv.ending_balance or 0) - usable
            if inv.ending_balance != inv.starting_balance:
                applied.append(_applied_to_invoice(inv, now))
            if inv.amount_due == 0:
                mark_paid(inv, now=now)
                paid.append(inv)
            inv.next_action_at = open_action_at(inv, settings[inv.livemode])
        if write:
            bulk_save(drafts, FINALIZE_FIELDS)
        bulk_save(list(customers.values()), ["next_invoice_sequence"])
        events = [("invoice.finalized", inv) for inv in drafts]
        events += [(kind, inv) for inv in paid for kind in ("invoice.paid", "invoice.payment_succeeded")]
        emit_invoice_events(events, ctx, now=now)
        # The balances the invoices settled, as transactions (nothing to write when none moved).
        apply_balance_changes(applied, customers=customers)
        tell_subscriptions("on_invoices_paid", paid, now=now)
    return drafts


def _applied_to_invoice(inv: Invoice, now: dt.datetime) -> BalanceChange:
    """What finalizing ``inv`` did to its customer's balance: a credit used (or a debit
    collected) with it, or a negative total turned into credit."""
    assert inv.ending_balance is not None
    return BalanceChange(
        customer_id=inv.customer_id,
        amount=inv.ending_balance - inv.starting_balance,
        currency=inv.currency,
        type="applied_to_invoice",
        created=now,
        invoice_id=inv.id,
    )


FINALIZE_FIELDS = [
    "status",
    "issuer",
    "number",
    "finalized_at",
    "effective_at",
    "automatically_finalizes_at",
    "due_date",
    "starting_balance",
    "ending_balance",
    "amount_due",
    "amount_paid",
    "amount_remaining",
    "paid_at",
    "next_payment_attempt",
    "next_action_at",
    "customer_email",
    "customer_name",
    "customer_phone",
    "customer_address",
    "customer_tax_exempt",
    "customer_tax_ids",
]


def finalize_invoice(invoice: Invoice, *, now: dt.datetime | None = None) -> Invoice:
    """``POST /v1/invoices/{id}/finalize``: a draft only."""
    now = now or now_for(invoice)
    with transaction.atomic():
        lock_invoices([invoice])
        if invoice.status != Status.DRAFT:
            raise InvalidRequest(
                f"This invoice is already finalized (status {invoice.status}); only a draft can be finalized.",
                code="invoice_not_editable",
            )
        finalize_invoices([invoice], now=now)
    return invoice


def _require(invoice: Invoice, allowed: set[str], action: str) -> None:
    if invoice.status not in allowed:
        states = " or ".join(sorted(allowed))
        raise InvalidRequest(
            f"You can only {action} an invoice that is {states}; invoice {invoice.id} is {invoice.status}.",
            code="invoice_unexpected_state" if invoice.status != Status.DRAFT else "invoice_not_finalized",
        )


def void_invoice(invoice: Invoice, *, now: dt.datetime | None = None) -> Invoice:
    """open | uncollectible → void (``invoice.voided``), giving back the customer balance it used
    (an ``unapplied_from_invoice`` transaction). A draft is deleted instead; paid stays paid."""
    now = now or now_for(invoice)
    with transaction.atomic():
        lock_invoices([invoice])
        _require(invoice, {Status.OPEN, Status.UNCOLLECTIBLE}, "void")
        cancel_invoice_payments([invoice], now=now, reason="void_invoice")
        invoice.status = Status.VOID
        invoice.voided_at = now
        invoice.next_payment_attempt = None
        invoice.next_action_at = None
        invoice.save(update_fields=["status", "voided_at", "next_payment_attempt", "next_action_at"])
        emit_invoice_events([("invoice.voided", invoice)], InvoiceContext.load([invoice]), now=now)
        if invoice.ending_balance is not None and invoice.ending_balance != invoice.starting_balance:
            # What the invoice took from (or added to) the balance goes back, as Stripe does.
            change = _applied_to_invoice(invoice, now)
            apply_balance_changes([replace(change, amount=-change.amount, type="unapplied_from_invoice")])
        tell_subscriptions("on_invoice_voided", [invoice], now=now)
    return invoice


def write_off(invoices: Sequence[Invoice], *, now: dt.datetime) -> list[tuple[str, Invoice]]:
    """Mark open invoices uncollectible in memory (the caller saves and emits); returns the events."""
    for inv in invoices:
        inv.status = Status.UNCOLLECTIBLE
        inv.marked_uncollectible_at = now
        inv.next_payment_attempt = None
        inv.next_action_at = None
    return [("invoice.marked_uncollectible", inv) for inv in invoices]


def mark_uncollectible(invoice: Invoice, *, now: dt.datetime | None = None) -> Invoice:
    """open → uncollectible (``invoice.marked_uncollectible``); it can still be paid or voided."""
    now = now or now_for(invoice)
    with transaction.atomic():
        lock_invoices([invoice])
        _require(invoice, {Status.OPEN}, "mark uncollectible")
        events = write_off([invoice], now=now)
        invoice.save(update_fields=["status", "marked_uncollectible_at", "next_payment_attempt", "next_action_at"])
        emit_invoice_events(events, InvoiceContext.load([invoice]), now=now)
        tell_subscriptions("on_invoice_marked_uncollectible", [invoice], now=now)
    return invoice


def send_invoice(invoice: Invoice, *, now: dt.datetime | None = None) -> Invoice:
    """``invoice.sent`` for a finalized send_invoice invoice (delivery by email comes with the
    notifications service, which listens for this event)."""
    now = now or now_for(invoice)
    with transaction.atomic():
        lock_invoices([invoice])
        if invoice.collection_method != "send_invoice":
            raise InvalidRequest(
                "You can only manually send an invoice if its collection method is 'send_invoice'.",
                code="invoice_not_editable",
            )
        _require(invoice, {Status.OPEN, Status.PAID, Status.UNCOLLECTIBLE}, "send")
        emit_invoice_events([("invoice.sent", invoice)], InvoiceContext.load([invoice]), now=now)
    return invoice
