"""Getting invoices paid: automatic collection, ``/pay``, and the invoice side of the billing clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import connection, transaction

from seikyu.core.errors import CardError, InvalidRequest
from seikyu.db.rows import bulk_save

from ..clock import now_for
from ..models import Invoice, PaymentMethod
from . import dunning
from .due import DUE_INDEX_ORDER, in_due_order
from .invoice_lifecycle import (
    FINALIZE_FIELDS,
    emit_invoice_events,
    finalize_invoices,
    lock_invoices,
    mark_paid,
    open_action_at,
    tell_subscriptions,
    write_off,
)
from .invoice_totals import InvoiceContext
from .payment_methods import resolve_payment_method
from .payments import (
    Attempt,
    cancel_invoice_payments,
    card_error,
    charge_invoices,
    payment_methods_for,
    record_out_of_band,
)
from .settings import billing_settings_for

Status = Invoice.Status

COLLECTION_FIELDS = [
    "status",
    "amount_paid",
    "amount_remaining",
    "paid_at",
    "attempted",
    "attempt_count",
    "next_payment_attempt",
    "next_action_at",
    "marked_uncollectible_at",
    "paid_out_of_band",
]


def _attempt(
    invoices: Sequence[Invoice],
    *,
    now: dt.datetime,
    off_session: bool,
    payment_method: PaymentMethod | None = None,
    ctx: InvoiceContext | None = None,
    fields: Sequence[str] = COLLECTION_FIELDS,
) -> list[Attempt]:
    """Attempt payment of open invoices and apply each outcome to its invoice: paid, or a failed
    attempt counted with the next retry from the dunning rules (and the end behaviour once they are
    exhausted). Saves ``fields`` of the invoices, emits their events and tells their subscriptions."""
    ctx = ctx if ctx is not None else InvoiceContext()
    ctx.ensure(invoices)
    settings = billing_settings_for(inv.livemode for inv in invoices)
    methods = (
        {inv.id: payment_method for inv in invoices} if payment_method is not None else payment_methods_for(invoices)
    )
    chargeable = {inv.id: pm for inv in invoices if (pm := methods[inv.id]) is not None}
    attempts = charge_invoices(
        [inv for inv in invoices if inv.id in chargeable], chargeable, now=now, off_session=off_session
    )
    by_invoice = {a.invoice.id: a for a in attempts}

    events: list[tuple[str, Invoice]] = []
    paid: list[Invoice] = []
    failed: list[tuple[Invoice, bool]] = []
    action_required: list[Invoice] = []
    for inv in invoices:
        attempt = by_invoice.get(inv.id)
        inv.attempted = True
        inv.attempt_count += 1
        if attempt is not None and attempt.result.succeeded:
            mark_paid(inv, now=now)
            paid.append(inv)
            events += [("invoice.paid", inv), ("invoice.payment_succeeded", inv)]
            continue
        needs_action = attempt is not None and attempt.result.requires_action
        events.append(("invoice.payment_action_required" if needs_action else "invoice.payment_failed", inv))
        if inv.status != Status.OPEN:
            # A hand payment of an uncollectible invoice failed: collection had already ended.
            continue
        plan = dunning.after_failure(inv, settings[inv.livemode], at=now, retryable=not needs_action)
        inv.next_payment_attempt = plan.next_payment_attempt
        inv.next_action_at = plan.next_payment_attempt or plan.deadline
        if plan.final:
            events += _give_up([inv], dunning.status_after_final(settings[inv.livemode]), now=now)
        if needs_action and not plan.final:
            action_required.append(inv)
        else:
            failed.append((inv, plan.final))
    bulk_save(invoices, fields)
    ctx.record_payments(a.invoice_payment for a in attempts)
    emit_invoice_events(events, ctx, now=now)
    tell_subscriptions("on_invoices_paid", paid, now=now)
    for inv in action_required:
        tell_subscriptions("on_invoice_action_required", [inv], now=now)
    for inv, final in failed:
        tell_subscriptions("on_invoice_payment_failed", [inv], now=now, final=final)
    return attempts


def _give_up(invoices: Sequence[Invoice], end_status: str, *, now: dt.datetime) -> list[tuple[str, Invoice]]:
    """The end behaviour on the invoice: uncollectible (with its event) or left open, and no
    more automatic work either way."""
    if end_status == Status.UNCOLLECTIBLE:
        return write_off(invoices, now=now)
    for inv in invoices:
        inv.next_payment_attempt = None
        inv.next_action_at = None
    return []


def collect_invoices(
    invoices: Sequence[Invoice],
    *,
    now: dt.datetime,
    locked: bool = False,
    ctx: InvoiceContext | None = None,
    fields: Sequence[str] = COLLECTION_FIELDS,
) -> list[Invoice]:
    """Charge the open charge_automatically invoices among ``invoices`` off session (others are
    skipped); returns those attempted, updated (``fields`` written). A card decline is an outcome
    here, not an error. ``locked`` and ``ctx`` as for ``finalize_invoices``."""
    with transaction.atomic():
        due = [
            inv
            for inv in (invoices if locked else lock_invoices(invoices))
            if inv.status == Status.OPEN
            and inv.collection_method == "charge_automatically"
            and inv.amount_remaining > 0
        ]
        if due:
            _attempt(due, now=now, off_session=True, ctx=ctx, fields=fields)
    return due


def advance_invoices(invoices: Sequence[Invoice], *, now: dt.datetime) -> None:
    """What auto_advance does once a draft's window has passed: finalize, then charge
    (charge_automatically) or send (send_invoice). ``invoices`` are locked and current in the
    caller's transaction (claimed by the billing clock, or just created), so neither step reads
    them again, both render with one context, and each invoice is written once, finalized and
    with its payment outcome."""
    ctx = InvoiceContext()
    finalized = finalize_invoices(
        [inv for inv in invoices if inv.auto_advance], now=now, locked=True, ctx=ctx, write=False
    )
    charged = collect_invoices(
        [inv for inv in finalized if inv.status == Status.OPEN], now=now, locked=True, ctx=ctx, fields=_ADVANCE_FIELDS
    )
    written = {inv.id for inv in charged}
    bulk_save([inv for inv in finalized if inv.id not in written], FINALIZE_FIELDS)
    to_send = [inv for inv in finalized if inv.collection_method == "send_invoice" and inv.status == Status.OPEN]
    if to_send:
        emit_invoice_events([("invoice.sent", inv) for inv in to_send], ctx, now=now)


_ADVANCE_FIELDS = list(dict.fromkeys([*FINALIZE_FIELDS, *COLLECTION_FIELDS]))


def pay_invoice(
    invoice: Invoice,
    *,
    now: dt.datetime | None = None,
    paid_out_of_band: bool = False,
    payment_method_id: str | None = None,
    forgive: bool = False,
    off_session: bool = True,
) -> Invoice:
    """``POST /v1/invoices/{id}/pay``. A draft is finalized first. A declined card raises
    ``CardError`` after the failed attempt is committed (when called outside a transaction), so
    the attempt stays on record as Stripe keeps it. ``forgive`` settles an invoice whose card has
    insufficient funds as paid with what was collected (nothing, in the sandbox)."""
    now = now or now_for(invoice)
    failure: CardError | None = None
    with transaction.atomic():
        lock_invoices([invoice])
        if invoice.status == Status.PAID:
            raise InvalidRequest("Invoice is already paid.", code="invoice_unexpected_state")
        if invoice.status == Status.VOID:
            raise InvalidRequest("This invoice is void and can no longer be paid.", code="invoice_unexpected_state")
        method = None
        if not paid_out_of_band:
            method = _method_for_pay(invoice, payment_method_id)
        if invoice.status == Status.DRAFT:
            finalize_invoices([invoice], now=now)
            if invoice.status == Status.PAID:
                return invoice
        if paid_out_of_band:
            _settle_by_hand(invoice, now=now, out_of_band=True)
            return invoice
        attempt = _attempt([invoice], now=now, off_session=off_session, payment_method=method)[0]
        if not attempt.result.succeeded:
            if forgive and attempt.result.decline_code == "insufficient_funds":
                _settle_by_hand(invoice, now=now, out_of_band=False)
            else:
                failure = card_error(attempt)
    if failure is not None:
        raise failure
    return invoice


def _method_for_pay(invoice: Invoice, payment_method_id: str | None) -> PaymentMethod:
    if payment_method_id:
        return resolve_payment_method(payment_method_id, invoice.customer, livemode=invoice.livemode)
    method = payment_methods_for([invoice])[invoice.id]
    if method is None:
        raise InvalidRequest(
            "This customer has no attached payment method or default payment method. Attach one, or pass "
            "`payment_method`, or pay out of band with `paid_out_of_band=true`.",
            code="invoice_no_payment_method",
            param="payment_method",
        )
    return method


def _settle_by_hand(invoice: Invoice, *, now: dt.datetime, out_of_band: bool) -> None:
    """Paid without a successful charge: the money came another way (recorded as an out-of-band
    payment), or the rest is forgiven. ``invoice.paid`` only: no payment attempt succeeded."""
    cancel_invoice_payments([invoice], now=now, reason="abandoned")
    forgiven = 0
    if out_of_band:
        record_out_of_band(invoice, now=now)
        invoice.paid_out_of_band = True
    else:
        forgiven = invoice.amount_remaining
    mark_paid(invoice, now=now)
    invoice.amount_paid -= forgiven
    invoice.save(update_fields=COLLECTION_FIELDS)
    emit_invoice_events([("invoice.paid", invoice)], InvoiceContext.load([invoice]), now=now)
    tell_subscriptions("on_invoices_paid", [invoice], now=now)


def _claim_due(*, now: dt.datetime, test_clock_id: str | None, limit: int) -> list[Invoice]:
    query = Invoice.objects.filter(test_clock_id=test_clock_id, next_action_at__lte=now).order_by(*DUE_INDEX_ORDER)
    if connection.features.has_select_for_update_skip_locked:
        # Several workers share the work: each takes rows nobody else holds.
        query = query.select_for_update(skip_locked=True)
    return in_due_order(query[:limit])


def process_due_invoices(*, now: dt.datetime, test_clock_id: str | None, limit: int) -> int:
    """The invoice side of the billing clock: everything whose ``next_action_at`` has come —
    drafts to finalize (and charge or send), payment retries, the deadline of payments left
    waiting for authentication, send_invoice due dates (``invoice.overdue``, once) and, later, the
    end behaviour. Rows are claimed under lock and re-read, so a row processed twice (two
    workers, a retry after a crash) is processed once. Returns the number of rows handled."""
    with transaction.atomic():
        rows = _claim_due(now=now, test_clock_id=test_clock_id, limit=limit)
        if not rows:
            return 0
        settings = billing_settings_for(inv.livemode for inv in rows)
        drafts = [inv for inv in rows if inv.status == Status.DRAFT and inv.auto_advance]
        retries = [inv for inv in rows if _is_collectible(inv) and inv.next_payment_attempt is not None]
        deadlines = [inv for inv in rows if _is_collectible(inv) and inv.next_payment_attempt is None]
        overdue = [inv for inv in rows if _is_send(inv) and inv.overdue_sent_at is None]
        overdue_final = [inv for inv in rows if _is_send(inv) and inv.overdue_sent_at is not None]
        handled = {inv.id for group in (drafts, retries, deadlines, overdue, overdue_final) for inv in group}
        idle = [inv for inv in rows if inv.id not in handled]

        if drafts:
            advance_invoices(drafts, now=now)
        if retries:
            _attempt(retries, now=now, off_session=True)
        events: list[tuple[str, Invoice]] = []
        for inv in deadlines:
            events += _give_up([inv], dunning.status_after_final(settings[inv.livemode]), now=now)
        for inv in overdue:
            inv.overdue_sent_at = now
            inv.next_action_at = open_action_at(inv, settings[inv.livemode])
            events.append(("invoice.overdue", inv))
        for inv in overdue_final:
            events += _give_up([inv], dunning.status_after_final(settings[inv.livemode]), now=now)
        for inv in idle:
            inv.next_action_at = None
        touched = deadlines + overdue + overdue_final + idle
        if touched:
            bulk_save(touched, [*COLLECTION_FIELDS, "overdue_sent_at"])
            emit_invoice_events(events, InvoiceContext.load([inv for _, inv in events]), now=now)
        for inv in deadlines:
            tell_subscriptions("on_invoice_payment_failed", [inv], now=now, final=True)
        for inv in overdue:
            tell_subscriptions("on_invoice_overdue", [inv], now=now, final=False)
        for inv in overdue_final:
            tell_subscriptions("on_invoice_overdue", [inv], now=now, final=True)
    return len(rows)


def _is_collectible(inv: Invoice) -> bool:
    return inv.status == Status.OPEN and inv.collection_method == "charge_automatically"


def _is_send(inv: Invoice) -> bool:
    return inv.status == Status.OPEN and inv.collection_method == "send_invoice"
