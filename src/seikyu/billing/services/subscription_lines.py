"""What a subscription bills: invoice lines for periods, trials and prorations, and the drafts the
invoice engine turns into invoices.

Pure functions of already-loaded bundles (no queries) except where a name says it reads
(``discount_ids_for``) or writes (``save_proration_items``, ``consume_discounts``), so the bill
run builds thousands of drafts in memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Q

from seikyu.core.errors import CardError
from seikyu.core.ids import new_id
from seikyu.core.money import format_amount
from seikyu.core.periods import next_period_end
from seikyu.core.pricing import amount_for_quantity
from seikyu.core.proration import prorate, proration_pair

from ..models import Discount, Invoice, InvoiceItem, Price, Subscription, SubscriptionItem
from .drafts import InvoiceDraft, LineDraft
from .invoices import collect_invoices, create_invoice, finalize_invoices
from .payments import latest_card_error
from .subscription_params import CHARGE
from .subscription_state import Bundle
from .subscription_status import replay_outcomes


def price_amount(price: Price, quantity: int) -> int:
    """What one full period of ``quantity`` units of a recurring price costs."""
    return amount_for_quantity(
        billing_scheme=price.billing_scheme,
        unit_amount=price.unit_amount,
        quantity=quantity,
        tiers=price.tiers,
        tiers_mode=price.tiers_mode,
        transform_quantity=price.transform_quantity,
    )


def interval_label(price: Price) -> str:
    count = price.recurring_interval_count or 1
    interval = price.recurring_interval or "month"
    return interval if count == 1 else f"{count} {interval}s"


def _product_name(price: Price) -> str:
    return price.product.name


def _cycle_description(price: Price, quantity: int) -> str:
    if price.billing_scheme == "per_unit" and price.unit_amount is not None:
        at = f"{format_amount(price.unit_amount, price.currency, 'en')} / {interval_label(price)}"
        return f"{quantity} × {_product_name(price)} (at {at})"
    return f"{quantity} × {_product_name(price)}"


def _unit(amount: int, quantity: int) -> int | None:
    return amount // quantity if quantity and amount % quantity == 0 else None


def cycle_lines(b: Bundle, *, start: dt.datetime, end: dt.datetime) -> list[LineDraft]:
    """One line per item for the full period [start, end)."""
    lines = []
    for item in b.items:
        amount = price_amount(item.price, item.quantity)
        lines.append(
            LineDraft(
                description=_cycle_description(item.price, item.quantity),
                amount=amount,
                currency=b.sub.currency,
                period_start=start,
                period_end=end,
                quantity=item.quantity,
                unit_amount=_unit(amount, item.quantity),
                price_id=item.price_id,
                subscription_id=b.sub.id,
                subscription_item_id=item.id,
                tax_rate_ids=list(item.tax_rates),
            )
        )
    return lines


def trial_lines(b: Bundle, *, start: dt.datetime, end: dt.datetime) -> list[LineDraft]:
    """The free trial, shown as ¥0 lines on the first invoice."""
    return [
        LineDraft(
            description=f"Trial period for {_product_name(item.price)}",
            amount=0,
            currency=b.sub.currency,
            period_start=start,
            period_end=end,
            quantity=item.quantity,
            unit_amount=0,
            price_id=item.price_id,
            subscription_id=b.sub.id,
            subscription_item_id=item.id,
            tax_rate_ids=list(item.tax_rates),
        )
        for item in b.items
    ]


def _remaining_description(price: Price, quantity: int, at: dt.datetime) -> str:
    return f"Remaining time on {quantity} × {_product_name(price)} after {at:%d %b %Y}"


def _unused_description(price: Price, quantity: int, at: dt.datetime) -> str:
    return f"Unused time on {quantity} × {_product_name(price)} after {at:%d %b %Y}"


def partial_period_lines(b: Bundle, *, start: dt.datetime, end: dt.datetime, fraction: Fraction) -> list[LineDraft]:
    """Lines for a shortened first period [start, end) charged as ``fraction`` of a full one
    (a future billing cycle anchor)."""
    lines = []
    for item in b.items:
        lines.append(
            LineDraft(
                description=_remaining_description(item.price, item.quantity, start),
                amount=prorate(price_amount(item.price, item.quantity), fraction),
                currency=b.sub.currency,
                period_start=start,
                period_end=end,
                quantity=item.quantity,
                price_id=item.price_id,
                proration=True,
                subscription_id=b.sub.id,
                subscription_item_id=item.id,
                tax_rate_ids=list(item.tax_rates),
            )
        )
    return lines


@dataclass(frozen=True)
class Terms:
    """What a subscription item bills at one moment (before or after a change)."""

    item_id: str
    price: Price
    quantity: int
    tax_rates: tuple[str, ...]

    @classmethod
    def of(cls, item: SubscriptionItem) -> Terms:
        return cls(item.id, item.price, item.quantity, tuple(item.tax_rates))


def proration_items(
    sub: Subscription,
    changes: Sequence[tuple[Terms | None, Terms | None]],
    *,
    at: dt.datetime,
    period_end: dt.datetime,
    fraction: Fraction,
) -> list[InvoiceItem]:
    """Pending invoice items (unsaved) for item changes at ``at``: a credit for the unused time of
    the old terms and a charge for the remaining time of the new ones, from ``proration_pair`` so
    the two always add up to the exact prorated difference. Unchanged terms prorate nothing."""
    rows = []
    for old, new in changes:
        if old == new:
            continue
        old_amount = price_amount(old.price, old.quantity) if old else 0
        new_amount = price_amount(new.price, new.quantity) if new else 0
        credit, charge = proration_pair(old_amount, new_amount, fraction)
        if old is not None:
            rows.append(_proration_row(sub, old, credit, _unused_description, at, period_end))
        if new is not None:
            rows.append(_proration_row(sub, new, charge, _remaining_description, at, period_end))
    return rows


def _proration_row(
    sub: Subscription,
    terms: Terms,
    amount: int,
    describe: Callable[[Price, int, dt.datetime], str],
    at: dt.datetime,
    period_end: dt.datetime,
) -> InvoiceItem:
    return InvoiceItem(
        id=new_id("ii"),
        livemode=sub.livemode,
        created=at,
        customer_id=sub.customer_id,
        subscription_id=sub.id,
        subscription_item=terms.item_id,
        currency=sub.currency,
        amount=amount,
        quantity=terms.quantity,
        description=describe(terms.price, terms.quantity, at),
        price=terms.price,
        period_start=at,
        period_end=period_end,
        proration=True,
        tax_rates=list(terms.tax_rates or sub.default_tax_rates),
        date=at,
        test_clock_id=sub.test_clock_id,
    )


# --------------------------------------------------------------------------- discounts


def _in_force(discount: Discount, now: dt.datetime) -> bool:
    return discount.ended_at is None and (discount.end is None or discount.end > now)


def discount_ids_for(bundles: Sequence[Bundle], *, now: dt.datetime) -> dict[str, list[Discount]]:
    """The discounts each subscription's next invoice gets: its own, or else its customer's
    (one query for all customers in the batch)."""
    chosen = {b.sub.id: [d for d in b.discounts if _in_force(d, now)] for b in bundles}
    bare = {b.sub.customer_id for b in bundles if not chosen[b.sub.id]}
    if bare:
        by_customer: dict[str, list[Discount]] = {}
        for d in (
            Discount.objects.filter(
                customer_id__in=bare, subscription__isnull=True, invoice__isnull=True, ended_at__isnull=True
            )
            .filter(Q(end__isnull=True) | Q(end__gt=now))
            .select_related("coupon")
            .order_by("start", "id")
        ):
            by_customer.setdefault(d.customer_id, []).append(d)
        for b in bundles:
            if not chosen[b.sub.id]:
                chosen[b.sub.id] = by_customer.get(b.sub.customer_id, [])
    return chosen


def consume_discounts(invoices: Sequence[Invoice], *, now: dt.datetime) -> None:
    """A ``once`` coupon is spent by the first invoice that charges something (one query)."""
    spent = [d for inv in invoices if inv.subtotal > 0 for d in inv.discount_ids]
    if spent:
        Discount.objects.filter(id__in=spent, ended_at__isnull=True, coupon__duration="once").update(ended_at=now)


# --------------------------------------------------------------------------- drafts


def subscription_draft(
    b: Bundle,
    *,
    now: dt.datetime,
    billing_reason: str,
    lines: list[LineDraft],
    discounts: Sequence[Discount],
    period: tuple[dt.datetime, dt.datetime] | None = None,
    auto_advance: bool = True,
    include_pending: bool = True,
    cycle_key: str | None = None,
) -> InvoiceDraft:
    """An invoice of this subscription. ``period`` is the invoice's own period (Stripe: the period
    just ended for a renewal); it defaults to the instant of creation."""
    sub = b.sub
    start, end = period or (now, now)
    return InvoiceDraft(
        customer_id=sub.customer_id,
        currency=sub.currency,
        livemode=sub.livemode,
        created=now,
        billing_reason=billing_reason,
        period_start=start,
        period_end=end,
        lines=lines,
        collection_method=sub.collection_method,
        days_until_due=sub.days_until_due,
        subscription_id=sub.id,
        default_payment_method_id=sub.default_payment_method_id,
        default_tax_rate_ids=list(sub.default_tax_rates),
        discount_ids=[d.id for d in discounts],
        auto_advance=auto_advance,
        include_pending_invoice_items=include_pending,
        cycle_key=cycle_key,
        test_clock_id=sub.test_clock_id,
    )


def cycle_key(sub: Subscription, period_start: dt.datetime) -> str:
    return f"{sub.id}:{int(period_start.timestamp())}"


def next_period(sub: Subscription, items: Sequence[SubscriptionItem]) -> tuple[dt.datetime, dt.datetime]:
    """The period after the current one, counted from the billing cycle anchor (never chained from
    the last boundary, so a Jan 31 anchor renews Feb 28 and then Mar 31)."""
    price = items[0].price
    start = sub.current_period_end
    end = next_period_end(
        sub.billing_cycle_anchor, price.recurring_interval or "month", price.recurring_interval_count or 1, start
    )
    return start, end


def renewal_draft(
    b: Bundle,
    *,
    now: dt.datetime,
    discounts: Sequence[Discount],
    include_pending: bool = True,
    auto_advance: bool = True,
) -> InvoiceDraft:
    """The ``subscription_cycle`` invoice that opens the next period; its ``cycle_key`` makes a
    second bill run for the same period a no-op."""
    sub = b.sub
    start, end = next_period(sub, b.items)
    return subscription_draft(
        b,
        now=now,
        billing_reason="subscription_cycle",
        lines=cycle_lines(b, start=start, end=end),
        discounts=discounts,
        period=(sub.current_period_start, sub.current_period_end),
        auto_advance=auto_advance,
        include_pending=include_pending,
        cycle_key=cycle_key(sub, start),
    )


# --------------------------------------------------------------------------- billing now


def interval_of(items: Sequence[SubscriptionItem]) -> tuple[str, int]:
    price = items[0].price
    return price.recurring_interval or "month", price.recurring_interval_count or 1


def _payment_error(invoice: Invoice) -> CardError:
    return latest_card_error(invoice) or CardError(
        "This payment requires authentication.", code="authentication_required"
    )


def bill_now(
    b: Bundle, draft: InvoiceDraft, *, now: dt.datetime, payment_behavior: str, preview: bool = False
) -> Invoice:
    """Make the invoice, finalize it and (charge_automatically) charge it at once, as Stripe does
    for invoices created by a subscription change. In a preview it stays an unsaved-for-good draft."""
    sub = b.sub
    if preview:
        # A zero draft window would otherwise finalize and charge the would-be invoice.
        draft.auto_advance = False
    # Payment outcomes read the subscription's status and latest invoice from the database.
    Subscription.objects.filter(id=sub.id).update(status=sub.status)
    invoice = create_invoice(draft)
    assert invoice is not None, "only cycle invoices are ever skipped"
    sub.latest_invoice = invoice
    Subscription.objects.filter(id=sub.id).update(latest_invoice=invoice)
    if preview:
        return invoice
    consume_discounts([invoice], now=now)
    if invoice.status != Invoice.Status.DRAFT:
        replay_outcomes([invoice], now=now)
    else:
        invoice = finalize_invoices([invoice], now=now)[0]
        if (
            invoice.status == Invoice.Status.OPEN
            and draft.collection_method == CHARGE
            and payment_behavior != "default_incomplete"
        ):
            collect_invoices([invoice], now=now)
            invoice.refresh_from_db()
    if (
        payment_behavior == "error_if_incomplete"
        and draft.collection_method == CHARGE
        and invoice.status == Invoice.Status.OPEN
    ):
        raise _payment_error(invoice)
    sub.refresh_from_db(fields=["status", "canceled_at", "ended_at", "cancellation_details"])
    return invoice


def has_pending_items(sub: Subscription) -> bool:
    return InvoiceItem.objects.filter(subscription=sub, invoice__isnull=True, deleted_at__isnull=True).exists()
