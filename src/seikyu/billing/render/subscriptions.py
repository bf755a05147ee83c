"""Subscriptions and subscription items in their wire shape.

Stripe renders an item's ``price`` and ``tax_rates`` and the subscription's ``default_tax_rates``
as full objects (not ids), so they are expanded here. Periods live on each item (the current API
shape); all items of a subscription share the subscription's period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from seikyu.core.clock import to_unix

from ..models import Discount, Price, Subscription, SubscriptionItem, TaxRate
from .catalog import TaxRates, render_price, render_tax_rates


def render_plan(price: Price) -> dict[str, Any]:
    """The legacy ``plan`` view of a recurring price, still sent on subscription items."""
    return {
        "id": price.id,
        "object": "plan",
        "active": price.active,
        "amount": price.unit_amount,
        "amount_decimal": None if price.unit_amount is None else str(price.unit_amount),
        "billing_scheme": price.billing_scheme,
        "created": to_unix(price.created),
        "currency": price.currency,
        "interval": price.recurring_interval,
        "interval_count": price.recurring_interval_count,
        "livemode": price.livemode,
        "metadata": price.metadata,
        "meter": None,
        "nickname": price.nickname,
        "product": price.product_id,
        "tiers_mode": price.tiers_mode,
        "transform_usage": price.transform_quantity,
        "trial_period_days": price.recurring_trial_period_days,
        "usage_type": price.recurring_usage_type or "licensed",
    }


def render_subscription_item(
    item: SubscriptionItem,
    *,
    subscription: Subscription | None = None,
    tax_rates: Mapping[str, TaxRate] | None = None,
) -> dict[str, Any]:
    sub = subscription if subscription is not None else item.subscription
    return {
        "id": item.id,
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": to_unix(item.created),
        "current_period_end": to_unix(sub.current_period_end),
        "current_period_start": to_unix(sub.current_period_start),
        "discounts": [],
        "metadata": item.metadata,
        "plan": render_plan(item.price),
        "price": render_price(item.price),
        "quantity": item.quantity,
        "subscription": item.subscription_id,
        "tax_rates": render_tax_rates(item.tax_rates, tax_rates),
    }


def render_subscription(
    sub: Subscription,
    *,
    items: Sequence[SubscriptionItem] | None = None,
    tax_rates: Mapping[str, TaxRate] | None = None,
    discounts: Sequence[Discount] | None = None,
) -> dict[str, Any]:
    """``items`` need their ``price`` loaded; ``tax_rates`` must hold every rate the subscription
    and its items name; ``discounts`` are the subscription's active discounts. Whatever is not given
    is read from the database."""
    if items is None:
        items = list(sub.items.select_related("price").order_by("created", "id"))
    if discounts is None:
        discounts = list(sub.discounts.filter(ended_at__isnull=True).order_by("start", "id"))
    if tax_rates is None:
        wanted = {*sub.default_tax_rates, *(r for item in items for r in item.tax_rates)}
        tax_rates = TaxRates(TaxRate.objects.filter(id__in=wanted) if wanted else ())
    pause = sub.pause_collection
    details = sub.cancellation_details or {}
    return {
        "id": sub.id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": to_unix(sub.billing_cycle_anchor),
        "billing_cycle_anchor_config": None,
        "billing_mode": {"type": "classic"},
        "billing_thresholds": None,
        "cancel_at": to_unix(sub.cancel_at),
        "cancel_at_period_end": sub.cancel_at_period_end,
        "canceled_at": to_unix(sub.canceled_at),
        "cancellation_details": {
            "comment": details.get("comment"),
            "feedback": details.get("feedback"),
            "reason": details.get("reason"),
        },
        "collection_method": sub.collection_method,
        "created": to_unix(sub.created),
        "currency": sub.currency,
        "customer": sub.customer_id,
        "customer_account": None,
        "days_until_due": sub.days_until_due,
        "default_payment_method": sub.default_payment_method_id,
        "default_source": None,
        "default_tax_rates": render_tax_rates(sub.default_tax_rates, tax_rates),
        "description": sub.description,
        "discounts": [d.id for d in discounts],
        "ended_at": to_unix(sub.ended_at),
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "items": {
            "object": "list",
            "data": [render_subscription_item(item, subscription=sub, tax_rates=tax_rates) for item in items],
            "has_more": False,
            "total_count": len(items),
            "url": f"/v1/subscription_items?subscription={sub.id}",
        },
        "latest_invoice": sub.latest_invoice_id,
        "livemode": sub.livemode,
        "metadata": sub.metadata,
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None
        if pause is None
        else {"behavior": pause.get("behavior"), "resumes_at": pause.get("resumes_at")},
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": to_unix(sub.start_date),
        "status": sub.status,
        "test_clock": sub.test_clock_id,
        "transfer_data": None,
        "trial_end": to_unix(sub.trial_end),
        "trial_settings": {"end_behavior": {"missing_payment_method": sub.trial_missing_payment_method}},
        "trial_start": to_unix(sub.trial_start),
    }


@dataclass
class Related:
    """What a batch of subscriptions renders with."""

    items: dict[str, list[SubscriptionItem]]
    tax_rates: TaxRates
    discounts: dict[str, list[Discount]]


def load_related(subs: Sequence[Subscription]) -> Related:
    """Four queries whatever the number of subscriptions. The few prices (and products) a batch
    uses are read once and shared by all its items rather than joined into every item row."""
    ids = [s.id for s in subs]
    items: dict[str, list[SubscriptionItem]] = defaultdict(list)
    rows = list(SubscriptionItem.objects.filter(subscription_id__in=ids).order_by("created", "id"))
    prices = Price.objects.select_related("product").in_bulk({item.price_id for item in rows})
    for item in rows:
        item.price = prices[item.price_id]
        items[item.subscription_id].append(item)
    discounts: dict[str, list[Discount]] = defaultdict(list)
    for discount in (
        Discount.objects.filter(subscription_id__in=ids, ended_at__isnull=True)
        .select_related("coupon")
        .order_by("start", "id")
    ):
        discounts[discount.subscription_id or ""].append(discount)
    wanted = {r for s in subs for r in s.default_tax_rates} | {
        r for group in items.values() for item in group for r in item.tax_rates
    }
    return Related(items, TaxRates(TaxRate.objects.filter(id__in=wanted) if wanted else ()), discounts)


def render_subscriptions(subs: Sequence[Subscription]) -> list[dict[str, Any]]:
    """A page of subscriptions with a constant number of queries."""
    related = load_related(subs)
    return [
        render_subscription(
            s, items=related.items[s.id], tax_rates=related.tax_rates, discounts=related.discounts[s.id]
        )
        for s in subs
    ]


def render_subscription_items(items: Sequence[SubscriptionItem]) -> list[dict[str, Any]]:
    """A page of items (``price`` loaded) with one query for their tax rates."""
    rates = TaxRates()
    rates.add(r for item in items for r in item.tax_rates)
    return [render_subscription_item(item, tax_rates=rates) for item in items]
