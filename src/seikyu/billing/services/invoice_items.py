"""Invoice items: charges and credits waiting for the customer's next invoice (pending), or
added to a draft invoice (then they are a line of it, and the draft's totals follow every change).
Once the invoice is finalized its items are part of an issued document and no longer change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Max

from seikyu.core.clock import from_unix
from seikyu.core.errors import InvalidRequest, ResourceMissing
from seikyu.core.ids import new_id
from seikyu.core.pricing import amount_for_quantity
from seikyu.events.services import PendingEvent, emit_many, previous_attributes

from ..clock import now_for
from ..models import Customer, Invoice, InvoiceItem, InvoiceLineItem, Price, Subscription
from ..render.catalog import TaxRates
from ..render.invoices import render_invoice_item
from .catalog import load, merge_metadata, normalize_currency
from .customers import load_customer
from .invoice_lifecycle import lock_invoices
from .invoice_totals import InvoiceContext
from .invoices import recompute_drafts
from .subscription_params import tax_rate_ids


def load_invoice_item(item_id: str, *, livemode: bool, param: str = "id") -> InvoiceItem:
    return load(InvoiceItem, item_id, livemode=livemode, kind="invoiceitem", param=param)


def _rates_for(items: Sequence[InvoiceItem]) -> TaxRates:
    rates = TaxRates()
    rates.add(rate for item in items for rate in item.tax_rates)
    return rates


def _events(kind: str, items: Sequence[InvoiceItem], now: dt.datetime) -> None:
    rates = _rates_for(items)
    emit_many(PendingEvent(kind, render_invoice_item(i, tax_rates=rates), now, i.livemode) for i in items)


def create_pending_items(rows: list[InvoiceItem]) -> list[InvoiceItem]:
    """Save unsaved pending items in one insert (e.g. a subscription change's prorations) and
    emit ``invoiceitem.created`` for each, timed at each item's ``created``."""
    InvoiceItem.objects.bulk_create(rows)
    rates = _rates_for(rows)
    emit_many(
        PendingEvent("invoiceitem.created", render_invoice_item(i, tax_rates=rates), i.created, i.livemode)
        for i in rows
    )
    return rows


def _period(data: Mapping[str, Any], current: tuple[dt.datetime, dt.datetime]) -> tuple[dt.datetime, dt.datetime]:
    period = data.get("period")
    if not period:
        return current
    start = from_unix(int(period["start"])) if period.get("start") is not None else None
    end = from_unix(int(period["end"])) if period.get("end") is not None else None
    if start is None or end is None:
        raise InvalidRequest("period needs both start and end.", code="parameter_missing", param="period[start]")
    if end < start:
        raise InvalidRequest("period[end] must not be before period[start].", param="period[end]")
    return start, end


def _price_id(data: Mapping[str, Any]) -> str | None:
    pricing = data.get("pricing") or {}
    return pricing.get("price") or data.get("price")


def _amounts(
    data: Mapping[str, Any], *, price: Price | None, quantity: int, currency: str | None
) -> tuple[int, int | None, str | None]:
    """(amount, unit_amount, currency) from ``price`` × quantity, ``unit_amount`` × quantity or ``amount``."""
    sources = [name for name in ("amount", "unit_amount") if data.get(name) is not None] + (["price"] if price else [])
    if len(sources) > 1:
        raise InvalidRequest(
            f"Specify only one of `amount`, `unit_amount` and `pricing[price]` (got {', '.join(sources)}).",
            param=sources[1] if sources[1] != "price" else "pricing[price]",
        )
    if price is not None:
        if price.currency != (currency or price.currency):
            raise InvalidRequest(
                f"The price's currency ({price.currency}) does not match the currency ({currency}).", param="currency"
            )
        amount = amount_for_quantity(
            billing_scheme=price.billing_scheme,
            unit_amount=price.unit_amount,
            quantity=quantity,
            tiers=price.tiers,
            tiers_mode=price.tiers_mode,
            transform_quantity=price.transform_quantity,
        )
        unit = price.unit_amount if price.billing_scheme == "per_unit" else None
        return amount, unit, price.currency
    if data.get("unit_amount") is not None:
        unit = int(data["unit_amount"])
        return unit * quantity, unit, currency
    if data.get("amount") is not None:
        if quantity != 1:
            raise InvalidRequest("`quantity` can't be combined with `amount`; use `unit_amount`.", param="quantity")
        return int(data["amount"]), int(data["amount"]), currency
    raise InvalidRequest(
        "Missing required param: one of `amount`, `unit_amount` or `pricing[price]`.",
        code="parameter_missing",
        param="amount",
    )


def _draft_of(invoice_id: str, customer: Customer, *, livemode: bool) -> Invoice:
    invoice = load(Invoice, invoice_id, livemode=livemode, kind="invoice", param="invoice")
    if invoice.customer_id != customer.id:
        raise InvalidRequest(f"Invoice {invoice.id} belongs to another customer.", param="invoice")
    lock_invoices([invoice])
    _require_draft(invoice)
    return invoice


def _require_draft(invoice: Invoice) -> None:
    if invoice.status != Invoice.Status.DRAFT:
        raise InvalidRequest(
            f"Invoice {invoice.id} is {invoice.status}: items can only be added to or changed on draft invoices.",
            code="invoice_not_editable",
            param="invoice",
        )


def _line_for(item: InvoiceItem, invoice: Invoice, position: int) -> InvoiceLineItem:
    line = InvoiceLineItem(
        id=new_id("il"), livemode=item.livemode, created=item.created, invoice=invoice, position=position
    )
    _copy_to_line(item, line)
    return line


def _copy_to_line(item: InvoiceItem, line: InvoiceLineItem) -> None:
    line.metadata = dict(item.metadata)
    line.currency = item.currency
    line.description = item.description
    line.amount = item.amount
    line.quantity = item.quantity
    line.unit_amount = item.unit_amount
    line.price_id = item.price_id
    line.period_start, line.period_end = item.period_start, item.period_end
    line.proration = item.proration
    line.subscription_id = item.subscription_id
    line.subscription_item = item.subscription_item
    line.invoice_item_id = item.id
    line.discountable = item.discountable
    line.tax_rates = list(item.tax_rates)


def _announce_draft_change(invoice: Invoice, before: dict[str, Any], now: dt.datetime) -> None:
    ctx = recompute_drafts([invoice])
    after = ctx.render(invoice)
    if changed := previous_attributes(before, after):
        emit_many([PendingEvent("invoice.updated", after, now, invoice.livemode, changed)])


def create_invoice_item(data: Mapping[str, Any], *, livemode: bool, announce: bool = True) -> InvoiceItem:
    """``POST /v1/invoiceitems``: pending, or on the draft named by ``invoice`` (whose totals
    are recomputed): ``invoiceitem.created`` (and ``invoice.updated``). ``announce=False`` leaves
    the draft's recomputation to the caller (several line changes, one ``invoice.updated``)."""
    if not data.get("customer"):
        raise InvalidRequest("Missing required param: customer.", code="parameter_missing", param="customer")
    customer = load_customer(data["customer"], livemode=livemode, param="customer")
    now = now_for(customer)
    quantity = int(data["quantity"]) if data.get("quantity") is not None else 1
    if quantity < 0:
        raise InvalidRequest("quantity must be 0 or more.", param="quantity")
    price_id = _price_id(data)
    price = load(Price, price_id, livemode=livemode, kind="price", param="pricing[price]") if price_id else None
    currency = normalize_currency(data["currency"]) if data.get("currency") else None
    amount, unit_amount, currency = _amounts(
        data, price=price, quantity=quantity, currency=currency or customer.currency
    )
    if not currency:
        raise InvalidRequest("Missing required param: currency.", code="parameter_missing", param="currency")
    with transaction.atomic():
        invoice = _draft_of(data["invoice"], customer, livemode=livemode) if data.get("invoice") else None
        if invoice is not None and invoice.currency != currency:
            raise InvalidRequest(f"The invoice is in {invoice.currency}; this item is in {currency}.", param="currency")
        subscription = None
        if data.get("subscription"):
            subscription = load(
                Subscription, data["subscription"], livemode=livemode, kind="subscription", param="subscription"
            )
            if subscription.customer_id != customer.id:
                raise InvalidRequest(
                    f"Subscription {subscription.id} belongs to another customer.", param="subscription"
                )
        start, end = _period(data, (now, now))
        item = InvoiceItem(
            id=new_id("ii"),
            livemode=livemode,
            created=now,
            metadata=merge_metadata({}, data.get("metadata") or {}),
            customer=customer,
            invoice=invoice,
            subscription=subscription,
            currency=currency,
            amount=amount,
            unit_amount=unit_amount,
            quantity=quantity,
            description=data.get("description") or (price.product.name if price else None),
            price=price,
            period_start=start,
            period_end=end,
            discountable=bool(data["discountable"]) if data.get("discountable") is not None else amount >= 0,
            tax_rates=tax_rate_ids(data.get("tax_rates"), livemode=livemode, param="tax_rates"),
            date=now,
            test_clock_id=customer.test_clock_id,
        )
        before = _render_draft(invoice) if announce else None
        item.save(force_insert=True)
        _events("invoiceitem.created", [item], now)
        if invoice is not None:
            _append_line(item, invoice)
            if before is not None:
                _announce_draft_change(invoice, before, now)
    return item


def _append_line(item: InvoiceItem, invoice: Invoice) -> None:
    position = (invoice.lines.aggregate(last=Max("position"))["last"] or 0) + 1
    _line_for(item, invoice, position).save(force_insert=True)


def _render_draft(invoice: Invoice | None) -> dict[str, Any] | None:
    return None if invoice is None else InvoiceContext.load([invoice]).render(invoice)


def _editable(item: InvoiceItem) -> Invoice | None:
    """The draft holding the item (locked), or None when it is pending; finalized ones refuse."""
    if item.deleted_at is not None:
        raise ResourceMissing("invoiceitem", item.id)
    if item.invoice_id is None:
        return None
    invoice = Invoice.objects.select_for_update().get(id=item.invoice_id)
    if invoice.status != Invoice.Status.DRAFT:
        raise InvalidRequest(
            f"This invoice item is on invoice {invoice.id}, which is {invoice.status}: it can no longer change.",
            code="invoice_not_editable",
        )
    return invoice


def update_invoice_item(item: InvoiceItem, data: Mapping[str, Any], *, announce: bool = True) -> InvoiceItem:
    """``POST /v1/invoiceitems/{id}``: ``invoiceitem.updated`` with previous_attributes; the
    draft holding it is recomputed (``announce`` as for ``create_invoice_item``)."""
    now = now_for(item)
    with transaction.atomic():
        invoice = _editable(item)
        rates = _rates_for([item])
        before = render_invoice_item(item, tax_rates=rates)
        before_invoice = _render_draft(invoice) if announce else None
        quantity = int(data["quantity"]) if data.get("quantity") is not None else item.quantity
        if {"amount", "unit_amount", "pricing", "price", "quantity"} & data.keys():
            price_id = _price_id(data)
            if {"amount", "unit_amount"} & data.keys() or price_id:
                source: Mapping[str, Any] = data
                price = (
                    load(Price, price_id, livemode=item.livemode, kind="price", param="pricing[price]")
                    if price_id
                    else None
                )
            elif item.price_id:
                source, price = {}, item.price
            else:
                source, price = {"unit_amount": item.unit_amount}, None
            item.amount, item.unit_amount, _ = _amounts(source, price=price, quantity=quantity, currency=item.currency)
            item.price = price
            item.quantity = quantity
        if "description" in data:
            item.description = data["description"]
        if data.get("discountable") is not None:
            item.discountable = bool(data["discountable"])
        if "tax_rates" in data:
            item.tax_rates = tax_rate_ids(data["tax_rates"], livemode=item.livemode, param="tax_rates")
        if "metadata" in data:
            item.metadata = merge_metadata(item.metadata, data["metadata"])
        item.period_start, item.period_end = _period(data, (item.period_start, item.period_end))
        item.save()
        after = render_invoice_item(item, tax_rates=_rates_for([item]))
        emit_many([PendingEvent("invoiceitem.updated", after, now, item.livemode, previous_attributes(before, after))])
        if invoice is not None:
            line = InvoiceLineItem.objects.get(invoice_id=invoice.id, invoice_item_id=item.id)
            _copy_to_line(item, line)
            line.save()
            if before_invoice is not None:
                _announce_draft_change(invoice, before_invoice, now)
    return item


def delete_invoice_item(item: InvoiceItem, *, announce: bool = True) -> dict[str, Any]:
    """``DELETE /v1/invoiceitems/{id}``: pending items, or items of a draft (which loses the line)."""
    now = now_for(item)
    with transaction.atomic():
        invoice = _editable(item)
        before_invoice = _render_draft(invoice) if announce else None
        item.deleted_at = now
        item.save(update_fields=["deleted_at"])
        _events("invoiceitem.deleted", [item], now)
        if invoice is not None:
            InvoiceLineItem.objects.filter(invoice_id=invoice.id, invoice_item_id=item.id).delete()
            if before_invoice is not None:
                _announce_draft_change(invoice, before_invoice, now)
    return {"id": item.id, "object": "invoiceitem", "deleted": True}


# --------------------------------------------------------------------------- lines of a draft


def _draft_lines_edit(invoice: Invoice) -> dict[str, Any]:
    lock_invoices([invoice])
    _require_draft(invoice)
    return InvoiceContext.load([invoice]).render(invoice)


def _line_item(invoice: Invoice, line_id: str | None, param: str) -> InvoiceItem:
    """The invoice item behind one of the draft's lines (lines of a subscription's own items
    have none and are changed through the subscription)."""
    line = InvoiceLineItem.objects.filter(invoice_id=invoice.id, id=line_id).select_related("invoice_item").first()
    if line is None:
        raise ResourceMissing("line_item", str(line_id), param=param)
    if line.invoice_item is None:
        raise InvalidRequest(
            f"Line {line.id} comes from a subscription item; change the subscription instead.", param=param
        )
    return line.invoice_item


def _assign(item: InvoiceItem, invoice: Invoice | None, now: dt.datetime) -> None:
    """Move an item onto a draft, or (``None``) off its draft back to pending: its line follows,
    ``invoiceitem.updated`` tells."""
    before = render_invoice_item(item, tax_rates=_rates_for([item]))
    previous = item.invoice_id
    item.invoice = invoice
    item.save(update_fields=["invoice"])
    if invoice is not None:
        _append_line(item, invoice)
    else:
        InvoiceLineItem.objects.filter(invoice_id=previous, invoice_item_id=item.id).delete()
    after = render_invoice_item(item, tax_rates=_rates_for([item]))
    emit_many([PendingEvent("invoiceitem.updated", after, now, item.livemode, previous_attributes(before, after))])


def add_lines(invoice: Invoice, lines: Sequence[Mapping[str, Any]]) -> Invoice:
    """``POST /v1/invoices/{id}/add_lines``: new items on the draft, or pending ones
    (``invoice_item``) moved onto it; one ``invoice.updated``."""
    now = now_for(invoice)
    with transaction.atomic():
        before = _draft_lines_edit(invoice)
        for index, spec in enumerate(lines):
            if spec.get("invoice_item"):
                param = f"lines[{index}][invoice_item]"
                item = load(
                    InvoiceItem, spec["invoice_item"], livemode=invoice.livemode, kind="invoiceitem", param=param
                )
                if (
                    item.invoice_id is not None
                    or item.deleted_at is not None
                    or item.customer_id != invoice.customer_id
                ):
                    raise InvalidRequest(f"Invoice item {item.id} is not a pending item of this customer.", param=param)
                if item.currency != invoice.currency:
                    raise InvalidRequest(f"Invoice item {item.id} is in {item.currency}.", param=param)
                _assign(item, invoice, now)
                continue
            data = {**spec, "customer": invoice.customer_id, "invoice": invoice.id, "currency": invoice.currency}
            create_invoice_item(data, livemode=invoice.livemode, announce=False)
        _announce_draft_change(invoice, before, now)
    return invoice


def update_lines(invoice: Invoice, lines: Sequence[Mapping[str, Any]]) -> Invoice:
    """``POST /v1/invoices/{id}/update_lines``: change the items behind lines; one ``invoice.updated``."""
    now = now_for(invoice)
    with transaction.atomic():
        before = _draft_lines_edit(invoice)
        for index, spec in enumerate(lines):
            item = _line_item(invoice, spec.get("id"), f"lines[{index}][id]")
            update_invoice_item(item, {k: v for k, v in spec.items() if k != "id"}, announce=False)
        _announce_draft_change(invoice, before, now)
    return invoice


def remove_lines(invoice: Invoice, lines: Sequence[Mapping[str, Any]]) -> Invoice:
    """``POST /v1/invoices/{id}/remove_lines``: ``behavior=delete`` deletes the item,
    ``unassign`` makes it pending again; one ``invoice.updated``."""
    now = now_for(invoice)
    with transaction.atomic():
        before = _draft_lines_edit(invoice)
        for index, spec in enumerate(lines):
            item = _line_item(invoice, spec.get("id"), f"lines[{index}][id]")
            if spec.get("behavior") == "delete":
                delete_invoice_item(item, announce=False)
                continue
            if spec.get("behavior") != "unassign":
                raise InvalidRequest(
                    "Invalid behavior: must be one of delete, unassign", param=f"lines[{index}][behavior]"
                )
            _assign(item, None, now)
        _announce_draft_change(invoice, before, now)
    return invoice
