"""Invoices: creation in batches (the bill run and the API share one path), draft edits and
deletion. State changes after creation live in ``invoice_lifecycle`` and ``invoice_collection``
and are re-exported here, so callers import every invoice service from this module.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from seikyu.core.clock import from_unix
from seikyu.core.errors import InvalidRequest, ResourceMissing
from seikyu.core.ids import new_id
from seikyu.db.rows import bulk_insert, bulk_save, new_row
from seikyu.events.services import PendingEvent, emit_many, previous_attributes

from ..clock import now_for
from ..models import BillingSettings, Customer, Discount, Invoice, InvoiceItem, InvoiceLineItem, Price
from .catalog import load, merge_metadata, new_discount, record_redemptions, resolve_discount_source
from .customer_balance import usable_balance
from .customers import load_customer
from .drafts import InvoiceDraft, LineDraft
from .invoice_collection import advance_invoices, collect_invoices, pay_invoice, process_due_invoices
from .invoice_lifecycle import (
    finalize_invoice,
    finalize_invoices,
    lock_invoices,
    mark_uncollectible,
    send_invoice,
    snapshot_customers,
    void_invoice,
)
from .invoice_totals import LINE_TOTAL_FIELDS, TOTAL_FIELDS, InvoiceContext, compute_totals
from .payment_methods import resolve_payment_method
from .settings import billing_settings_for
from .subscription_params import tax_rate_ids

__all__ = [
    "collect_invoices",
    "create_invoice",
    "create_invoices",
    "create_manual_invoice",
    "delete_draft_invoice",
    "finalize_invoice",
    "finalize_invoices",
    "load_invoice",
    "mark_uncollectible",
    "pay_invoice",
    "process_due_invoices",
    "recompute_drafts",
    "send_invoice",
    "update_invoice",
    "void_invoice",
]

Status = Invoice.Status


def load_invoice(invoice_id: str, *, livemode: bool, param: str = "id") -> Invoice:
    return load(Invoice, invoice_id, livemode=livemode, kind="invoice", param=param)


# --------------------------------------------------------------------------- creation


def _skip_billed(drafts: Sequence[InvoiceDraft]) -> list[InvoiceDraft]:
    """Drafts whose ``cycle_key`` is not billed yet (one query). The unique constraint on
    ``cycle_key`` stays the last guard against a concurrent bill run."""
    keys = [d.cycle_key for d in drafts if d.cycle_key]
    billed = set(Invoice.objects.filter(cycle_key__in=keys).values_list("cycle_key", flat=True)) if keys else set()
    todo = []
    for draft in drafts:
        if draft.cycle_key:
            if draft.cycle_key in billed:
                continue
            billed.add(draft.cycle_key)
        todo.append(draft)
    return todo


def _pending_items(drafts: Sequence[InvoiceDraft]) -> dict[int, list[InvoiceItem]]:
    """The pending invoice items each draft pulls in (locked, one query): a subscription's
    draft takes that subscription's items; a draft without a subscription takes what is left of
    the customer's. Items in another currency or mode stay pending."""
    wanted = [i for i, d in enumerate(drafts) if d.include_pending_invoice_items]
    if not wanted:
        return {}
    rows = (
        InvoiceItem.objects.select_for_update()
        .filter(customer_id__in={drafts[i].customer_id for i in wanted}, invoice__isnull=True, deleted_at__isnull=True)
        .order_by("created", "id")
    )
    available: dict[str, list[InvoiceItem]] = defaultdict(list)
    for item in rows:
        available[item.customer_id].append(item)
    pulled: dict[int, list[InvoiceItem]] = {}
    # Subscription drafts choose first, so a manual draft in the same batch never takes their items.
    for i in sorted(wanted, key=lambda i: drafts[i].subscription_id is None):
        d = drafts[i]
        mine = [
            item
            for item in available[d.customer_id]
            if item.livemode == d.livemode
            and item.currency == d.currency.lower()
            and (d.subscription_id is None or item.subscription_id == d.subscription_id)
        ]
        taken = {item.id for item in mine}
        available[d.customer_id] = [item for item in available[d.customer_id] if item.id not in taken]
        pulled[i] = mine
    return pulled


def _line_from_item(item: InvoiceItem, invoice: Invoice, position: int) -> InvoiceLineItem:
    line = new_row(
        InvoiceLineItem,
        id=new_id("il"),
        livemode=invoice.livemode,
        created=invoice.created,
        metadata=dict(item.metadata),
        invoice_id=invoice.id,
        position=position,
        currency=item.currency,
        description=item.description,
        amount=item.amount,
        quantity=item.quantity,
        unit_amount=item.unit_amount,
        price_id=item.price_id,
        period_start=item.period_start,
        period_end=item.period_end,
        proration=item.proration,
        subscription_id=item.subscription_id,
        subscription_item=item.subscription_item,
        invoice_item_id=item.id,
        discountable=item.discountable,
        tax_rates=list(item.tax_rates),
    )
    line.invoice = invoice
    return line


def _line_from_draft(draft: LineDraft, invoice: Invoice, position: int) -> InvoiceLineItem:
    line = new_row(
        InvoiceLineItem,
        id=new_id("il"),
        livemode=invoice.livemode,
        created=invoice.created,
        metadata=dict(draft.metadata),
        invoice_id=invoice.id,
        position=position,
        currency=draft.currency.lower(),
        description=draft.description,
        amount=draft.amount,
        quantity=draft.quantity,
        unit_amount=draft.unit_amount,
        price_id=draft.price_id,
        period_start=draft.period_start,
        period_end=draft.period_end,
        proration=draft.proration,
        subscription_id=draft.subscription_id,
        subscription_item=draft.subscription_item_id,
        invoice_item_id=draft.invoice_item_id,
        discountable=draft.discountable,
        tax_rates=list(draft.tax_rate_ids),
    )
    line.invoice = invoice
    return line


def _invoice_from_draft(draft: InvoiceDraft, customer: Customer, settings: BillingSettings) -> Invoice:
    send = draft.collection_method == "send_invoice"
    window = dt.timedelta(seconds=settings.invoice_draft_window_seconds)
    finalizes_at = draft.created + window if draft.auto_advance else None
    invoice = new_row(
        Invoice,
        id=new_id("in"),
        livemode=draft.livemode,
        created=draft.created,
        metadata=dict(draft.metadata),
        customer_id=customer.id,
        subscription_id=draft.subscription_id,
        status=Status.DRAFT,
        billing_reason=draft.billing_reason,
        collection_method=draft.collection_method,
        currency=draft.currency.lower(),
        description=draft.description,
        footer=customer.invoice_footer,
        custom_fields=customer.invoice_custom_fields,
        auto_advance=draft.auto_advance,
        default_payment_method_id=draft.default_payment_method_id,
        default_tax_rates=list(draft.default_tax_rate_ids),
        discount_ids=list(draft.discount_ids),
        period_start=draft.period_start,
        period_end=draft.period_end,
        days_until_due=draft.days_until_due if send else None,
        due_date=draft.created + dt.timedelta(days=draft.days_until_due) if send and draft.days_until_due else None,
        test_clock_id=draft.test_clock_id or customer.test_clock_id,
        cycle_key=draft.cycle_key,
        automatically_finalizes_at=finalizes_at,
        next_action_at=finalizes_at,
    )
    invoice.customer = customer
    return invoice


def create_invoices(drafts: Sequence[InvoiceDraft]) -> list[Invoice]:
    """Create draft invoices from ``drafts`` in one batch and return them, in the drafts' order.

    A draft whose ``cycle_key`` is already billed is skipped (not returned): running a bill run
    twice is a no-op. Pending invoice items are pulled in (``include_pending_invoice_items``), tax,
    discounts and totals computed, ``invoice.created`` emitted. Auto-advancing drafts finalize
    after the account's draft window, or at once (and are charged or sent) when it is zero.
    A constant number of queries whatever the batch size."""
    return _create(drafts, [{} for _ in drafts])


def create_invoice(draft: InvoiceDraft) -> Invoice | None:
    """A batch of one; None when its ``cycle_key`` was already billed."""
    created = create_invoices([draft])
    return created[0] if created else None


def _create(drafts: Sequence[InvoiceDraft], overrides: Sequence[Mapping[str, Any]]) -> list[Invoice]:
    """``overrides``: per draft, invoice fields the API sets beyond what a draft carries."""
    with transaction.atomic():
        todo = _skip_billed(drafts)
        if not todo:
            return []
        extra = {id(d): o for d, o in zip(drafts, overrides, strict=True)}
        customers = Customer.objects.in_bulk({d.customer_id for d in todo})
        settings = billing_settings_for(d.livemode for d in todo)
        pending = _pending_items(todo)
        price_ids = {ld.price_id for d in todo for ld in d.lines if ld.price_id}
        price_ids |= {item.price_id for items in pending.values() for item in items if item.price_id}
        prices = Price.objects.in_bulk(price_ids) if price_ids else {}

        ctx = InvoiceContext()
        invoices: list[Invoice] = []
        pulled: list[InvoiceItem] = []
        for i, draft in enumerate(todo):
            customer = customers[draft.customer_id]
            invoice = _invoice_from_draft(draft, customer, settings[draft.livemode])
            for name, value in extra[id(draft)].items():
                setattr(invoice, name, value)
            items = pending.get(i, [])
            lines = [_line_from_item(item, invoice, n) for n, item in enumerate(items)]
            lines += [_line_from_draft(ld, invoice, len(items) + n) for n, ld in enumerate(draft.lines)]
            for line in lines:
                if line.price_id:
                    line.price = prices[line.price_id]
            for item in items:
                item.invoice = invoice
            pulled += items
            ctx.lines[invoice.id] = lines
            invoices.append(invoice)
        ctx.tax_rates.add(
            [r for inv in invoices for r in inv.default_tax_rates]
            + [r for lines in ctx.lines.values() for line in lines for r in line.tax_rates]
        )
        ctx.add_discounts([d for inv in invoices for d in inv.discount_ids])
        for invoice in invoices:
            customer = customers[invoice.customer_id]
            compute_totals(
                invoice,
                ctx.lines[invoice.id],
                ctx,
                rounding=settings[invoice.livemode].tax_rounding,
                starting_balance=usable_balance(customer.balance, customer.currency, invoice.currency),
            )
        snapshot_customers(invoices, customers)

        bulk_insert(invoices)
        bulk_insert([line for inv in invoices for line in ctx.lines[inv.id]])
        if pulled:
            bulk_save(pulled, ["invoice"])
        emit_many(PendingEvent("invoice.created", ctx.render(inv), inv.created, inv.livemode) for inv in invoices)

        at_once = [inv for inv in invoices if inv.auto_advance and inv.automatically_finalizes_at == inv.created]
        for created_at in sorted({inv.created for inv in at_once}):
            advance_invoices([inv for inv in at_once if inv.created == created_at], now=created_at)
    return invoices


# --------------------------------------------------------------------------- the API's manual invoices


def _timestamp(value: Any) -> dt.datetime:
    at = from_unix(int(value))
    assert at is not None
    return at


def _collection(data: Mapping[str, Any], current_method: str) -> tuple[str, int | None, dt.datetime | None]:
    method = data.get("collection_method") or current_method
    if method not in ("charge_automatically", "send_invoice"):
        raise InvalidRequest(
            "Invalid collection_method: must be one of charge_automatically, send_invoice", param="collection_method"
        )
    days = data.get("days_until_due")
    due = _timestamp(data["due_date"]) if data.get("due_date") is not None else None
    if method == "charge_automatically" and (days is not None or due is not None):
        param = "days_until_due" if days is not None else "due_date"
        raise InvalidRequest(f"`{param}` can only be set when collection_method is send_invoice.", param=param)
    if days is not None and due is not None:
        raise InvalidRequest("Specify only one of `days_until_due` and `due_date`.", param="due_date")
    if days is not None and days < 0:
        raise InvalidRequest("days_until_due must be 0 or more.", param="days_until_due")
    return method, days, due


def _invoice_discounts(
    raw: Sequence[Mapping[str, Any]] | None, customer: Customer, *, invoice_id: str, currency: str, now: dt.datetime
) -> list[Discount]:
    """Discount rows for ``discounts[n][coupon|promotion_code|discount]`` on one invoice (unsaved
    new ones; existing ``discount`` ids of the customer are reused)."""
    rows = []
    for index, entry in enumerate(raw or []):
        if entry.get("discount"):
            found = (
                Discount.objects.filter(id=entry["discount"], customer_id=customer.id, livemode=customer.livemode)
                .select_related("coupon")
                .first()
            )
            if found is None:
                raise ResourceMissing("discount", entry["discount"], param=f"discounts[{index}][discount]")
            rows.append(found)
            continue
        coupon, promo = resolve_discount_source(
            coupon_id=entry.get("coupon"),
            promotion_code_id=entry.get("promotion_code"),
            livemode=customer.livemode,
            customer=customer,
            at=now,
            param_prefix=f"discounts[{index}][",
        )
        if coupon.amount_off is not None and (coupon.currency or "").lower() != currency:
            raise InvalidRequest(
                f"The coupon {coupon.id} is in {coupon.currency} but the invoice is in {currency}.",
                param=f"discounts[{index}][coupon]",
            )
        rows.append(new_discount(coupon, promo, customer, start=now, invoice_id=invoice_id))
    if len({d.id for d in rows}) != len(rows):
        raise InvalidRequest("A discount can apply only once per invoice.", param="discounts")
    return rows


def _save_new_discounts(rows: Sequence[Discount]) -> None:
    new = [d for d in rows if d._state.adding]
    Discount.objects.bulk_create(new)
    for d in new:
        record_redemptions(d.coupon, d.promotion_code)


def create_manual_invoice(data: Mapping[str, Any], *, livemode: bool) -> Invoice:
    """``POST /v1/invoices``: a draft for a customer (billing_reason ``manual``), pulling their
    pending invoice items unless ``pending_invoice_items_behavior=exclude``. ``auto_advance``
    defaults to false, as Stripe's API does."""
    if not data.get("customer"):
        raise InvalidRequest("Missing required param: customer.", code="parameter_missing", param="customer")
    customer = load_customer(data["customer"], livemode=livemode, param="customer")
    now = now_for(customer)
    method, days, due = _collection(data, "charge_automatically")
    if method == "send_invoice" and days is None and due is None:
        raise InvalidRequest(
            "Invoices with collection_method send_invoice need `days_until_due` or `due_date`.",
            code="parameter_missing",
            param="days_until_due",
        )
    behavior = data.get("pending_invoice_items_behavior") or "include"
    if behavior not in ("include", "exclude"):
        raise InvalidRequest(
            "Invalid pending_invoice_items_behavior: must be one of include, exclude",
            param="pending_invoice_items_behavior",
        )
    currency = (data.get("currency") or customer.currency or "").lower()
    if not currency:
        currency = (
            InvoiceItem.objects.filter(customer=customer, invoice__isnull=True, deleted_at__isnull=True)
            .order_by("created")
            .values_list("currency", flat=True)
            .first()
        ) or ""
    if not currency:
        raise InvalidRequest(
            "Missing required param: currency (the customer has no currency and no pending invoice items).",
            code="parameter_missing",
            param="currency",
        )
    invoice_id = new_id("in")
    with transaction.atomic():
        pm_id = data.get("default_payment_method")
        pm = resolve_payment_method(pm_id, customer, livemode=livemode) if pm_id else None
        discounts = _invoice_discounts(
            data.get("discounts"), customer, invoice_id=invoice_id, currency=currency, now=now
        )
        if "discounts" not in data:
            discounts = _customer_discounts(customer, now)
            # A ``once`` coupon of the customer is spent by this invoice.
            spent = [d.id for d in discounts if d.coupon.duration == "once"]
            Discount.objects.filter(id__in=spent).update(ended_at=now)
        draft = InvoiceDraft(
            customer_id=customer.id,
            currency=currency,
            livemode=livemode,
            created=now,
            billing_reason=Invoice.BillingReason.MANUAL,
            period_start=now,
            period_end=now,
            lines=[],
            collection_method=method,
            days_until_due=days,
            default_payment_method_id=pm.id if pm else None,
            default_tax_rate_ids=tax_rate_ids(
                data.get("default_tax_rates"), livemode=livemode, param="default_tax_rates"
            ),
            discount_ids=[d.id for d in discounts],
            auto_advance=bool(data.get("auto_advance", False)),
            include_pending_invoice_items=behavior == "include",
            description=data.get("description"),
            metadata=merge_metadata({}, data.get("metadata") or {}),
        )
        overrides: dict[str, Any] = {"id": invoice_id}
        for name in ("footer", "custom_fields", "statement_descriptor"):
            if name in data:
                overrides[name] = data[name]
        if due is not None:
            overrides["due_date"] = due
        _save_new_discounts(discounts)
        return _create([draft], [overrides])[0]


def _customer_discounts(customer: Customer, now: dt.datetime) -> list[Discount]:
    """A customer-wide discount applies to their manual invoices too (Stripe's rule)."""
    return [
        d
        for d in Discount.objects.filter(
            customer=customer, subscription__isnull=True, invoice__isnull=True, ended_at__isnull=True
        ).select_related("coupon")
        if d.end is None or d.end > now
    ]


# --------------------------------------------------------------------------- edits


def recompute_drafts(invoices: Sequence[Invoice]) -> InvoiceContext:
    """Recompute and save the totals of draft invoices after their lines or settings changed
    (constant queries); returns the context they were computed with, for rendering."""
    ctx = InvoiceContext.load(invoices)
    settings = billing_settings_for(inv.livemode for inv in invoices)
    balances = {
        customer_id: (balance, currency)
        for customer_id, balance, currency in Customer.objects.filter(
            id__in={inv.customer_id for inv in invoices}
        ).values_list("id", "balance", "currency")
    }
    for inv in invoices:
        compute_totals(
            inv,
            ctx.lines[inv.id],
            ctx,
            rounding=settings[inv.livemode].tax_rounding,
            starting_balance=usable_balance(*balances[inv.customer_id], inv.currency),
        )
    bulk_save(invoices, TOTAL_FIELDS)
    lines = [line for inv in invoices for line in ctx.lines[inv.id]]
    if lines:
        bulk_save(lines, LINE_TOTAL_FIELDS)
    return ctx


# Fields that may change after finalization: they are about collecting, not the document.
_FINALIZED_EDITABLE = frozenset({"metadata", "auto_advance", "default_payment_method"})
_DRAFT_EDITABLE = _FINALIZED_EDITABLE | {
    "description",
    "footer",
    "custom_fields",
    "statement_descriptor",
    "default_tax_rates",
    "discounts",
    "collection_method",
    "days_until_due",
    "due_date",
}


def update_invoice(invoice: Invoice, data: Mapping[str, Any]) -> Invoice:
    """``POST /v1/invoices/{id}``: drafts change freely (totals recomputed); a finalized invoice
    is an issued document, so only its metadata and collection settings change."""
    now = now_for(invoice)
    with transaction.atomic():
        lock_invoices([invoice])
        allowed = _DRAFT_EDITABLE if invoice.status == Status.DRAFT else _FINALIZED_EDITABLE
        refused = sorted(set(data) - allowed)
        if refused:
            raise InvalidRequest(
                f"A finalized invoice can't be edited ({', '.join(refused)}); only "
                f"{', '.join(sorted(_FINALIZED_EDITABLE))} can change. Issue a credit note to correct it.",
                code="invoice_not_editable",
                param=refused[0],
            )
        ctx = InvoiceContext.load([invoice])
        before = ctx.render(invoice)
        customer = invoice.customer
        for name in ("description", "footer", "custom_fields", "statement_descriptor"):
            if name in data:
                setattr(invoice, name, data[name])
        if "metadata" in data:
            invoice.metadata = merge_metadata(invoice.metadata, data["metadata"])
        if "auto_advance" in data:
            invoice.auto_advance = bool(data["auto_advance"])
        if "default_payment_method" in data:
            pm_id = data["default_payment_method"]
            pm = resolve_payment_method(pm_id, customer, livemode=invoice.livemode) if pm_id else None
            invoice.default_payment_method = pm
        if "default_tax_rates" in data:
            invoice.default_tax_rates = tax_rate_ids(
                data["default_tax_rates"], livemode=invoice.livemode, param="default_tax_rates"
            )
        if {"collection_method", "days_until_due", "due_date"} & data.keys():
            method, days, due = _collection(data, invoice.collection_method)
            invoice.collection_method = method
            invoice.days_until_due = days
            invoice.due_date = due or (invoice.created + dt.timedelta(days=days) if days is not None else None)
            if method == "send_invoice" and days is None and due is None:
                raise InvalidRequest(
                    "Invoices with collection_method send_invoice need `days_until_due` or `due_date`.",
                    param="days_until_due",
                )
        if "discounts" in data:
            discounts = _invoice_discounts(
                data["discounts"], customer, invoice_id=invoice.id, currency=invoice.currency, now=now
            )
            _save_new_discounts(discounts)
            invoice.discount_ids = [d.id for d in discounts]
            # The invoice's own discounts that were replaced go (shared ones only stop applying).
            Discount.objects.filter(invoice_id=invoice.id).exclude(id__in=invoice.discount_ids).delete()
        if invoice.status == Status.DRAFT:
            settings = billing_settings_for([invoice.livemode])[invoice.livemode]
            window = dt.timedelta(seconds=settings.invoice_draft_window_seconds)
            invoice.automatically_finalizes_at = invoice.created + window if invoice.auto_advance else None
            invoice.next_action_at = invoice.automatically_finalizes_at
        invoice.save()
        if invoice.status == Status.DRAFT:
            ctx = recompute_drafts([invoice])
        ctx.tax_rates.add(invoice.default_tax_rates)
        after = ctx.render(invoice)
        changed = previous_attributes(before, after)
        if changed:
            emit_many([PendingEvent("invoice.updated", after, now, invoice.livemode, changed)])
    return invoice


def delete_draft_invoice(invoice: Invoice) -> dict[str, Any]:
    """``DELETE /v1/invoices/{id}``: drafts only (``invoice.deleted``); its invoice items become
    pending again. Subscription invoices can't be deleted (void them once finalized)."""
    now = now_for(invoice)
    with transaction.atomic():
        lock_invoices([invoice])
        if invoice.status != Status.DRAFT:
            raise InvalidRequest(
                f"You can only delete draft invoices; invoice {invoice.id} is {invoice.status}. Void it instead.",
                code="invoice_not_editable",
            )
        if invoice.subscription_id:
            raise InvalidRequest("You can't delete invoices created by subscriptions.", code="invoice_not_editable")
        rendered = InvoiceContext.load([invoice]).render(invoice)
        InvoiceItem.objects.filter(invoice_id=invoice.id).update(invoice=None)
        invoice.delete()
        emit_many([PendingEvent("invoice.deleted", rendered, now, invoice.livemode)])
    return {"id": rendered["id"], "object": "invoice", "deleted": True}
