"""Creating, changing, canceling and resuming subscriptions (and their items). Every
subscription service is importable from here; the update path itself lives in
``subscription_updates``.

Every operation runs in one transaction: parameters are checked first, then rows change, invoices
are made through the invoice engine, and one event tells the outcome
(``customer.subscription.created`` / ``updated`` / ``deleted``) with the final state. A first
payment that fails under ``payment_behavior=error_if_incomplete`` raises ``CardError`` and the
whole transaction, subscription included, rolls back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from django.db import transaction

from seikyu.core.errors import InvalidRequest, ResourceMissing
from seikyu.core.ids import new_id
from seikyu.core.periods import add_interval, period_containing
from seikyu.core.proration import remaining_fraction

from ..models import Subscription, SubscriptionItem
from ..render.customers import render_discount
from .catalog import merge_metadata
from .invoice_items import create_pending_items
from .subscription_lines import (
    Terms,
    bill_now,
    cycle_lines,
    discount_ids_for,
    has_pending_items,
    interval_of,
    partial_period_lines,
    proration_items,
    subscription_draft,
    trial_lines,
)
from .subscription_params import (
    CHARGE,
    PAYMENT_BEHAVIORS,
    PRORATION_BEHAVIORS,
    SEND,
    ItemRequest,
    check_prices_fit,
    choice,
    collection,
    create_discounts,
    discount_requests,
    get_customer,
    item_requests,
    merge_cancellation_details,
    missing_pm_behavior,
    payment_method_for,
    tax_rate_ids,
    timestamp,
    trial_days,
)
from .subscription_state import (
    ENDED,
    SUB_FIELDS,
    UPDATED,
    end_subscriptions,
    get_subscription,
    load_bundle,
    quiet_updates,
    save_subscriptions,
    whole_seconds_now,
)
from .subscription_updates import apply_update, end_discounts, update_subscription

__all__ = [
    "apply_update",
    "cancel_subscription",
    "create_subscription",
    "create_subscription_item",
    "delete_subscription_discount",
    "delete_subscription_item",
    "resume_subscription",
    "update_subscription",
    "update_subscription_item",
]

Status = Subscription.Status


# --------------------------------------------------------------------------- create


def _trial_end_for_create(
    params: Mapping[str, Any], items: Sequence[ItemRequest], now: dt.datetime
) -> dt.datetime | None:
    if params.get("trial_end") is not None and params.get("trial_period_days") is not None:
        raise InvalidRequest("You may only specify one of trial_end and trial_period_days.", param="trial_end")
    trial_end = params.get("trial_end")
    if trial_end == "now":
        return None
    if trial_end is not None:
        at = timestamp(trial_end, param="trial_end")
        if at <= now:
            raise InvalidRequest("Invalid timestamp: must be in the future.", param="trial_end")
        if at > now + dt.timedelta(days=730):
            raise InvalidRequest("Invalid timestamp: can be no more than 730 days in the future.", param="trial_end")
        return at
    days = None
    if params.get("trial_period_days") is not None:
        days = trial_days(params["trial_period_days"], param="trial_period_days")
    elif params.get("trial_from_plan"):
        days = next(
            (r.price.recurring_trial_period_days for r in items if r.price and r.price.recurring_trial_period_days),
            None,
        )
    return now + dt.timedelta(days=days) if days else None


def create_subscription(params: Mapping[str, Any], *, livemode: bool, preview: bool = False) -> Subscription:
    """``POST /v1/subscriptions``. With ``preview`` the first invoice is left a draft (the caller
    rolls everything back)."""
    with transaction.atomic():
        customer = get_customer(params.get("customer"), livemode=livemode)
        now = whole_seconds_now(customer)
        requests = item_requests(params.get("items"), livemode=livemode)
        if not requests:
            raise InvalidRequest("Missing required param: items.", code="parameter_missing", param="items")
        for r in requests:
            if r.price is None:
                raise InvalidRequest("Missing required param: price.", code="parameter_missing", param=r.param("price"))
            if r.id is not None or r.deleted:
                raise InvalidRequest("A new subscription's items cannot name existing items.", param=r.param("id"))
        prices = [r.price for r in requests if r.price is not None]
        check_prices_fit(prices)
        currency = prices[0].currency
        if params.get("currency") and str(params["currency"]).lower() != currency:
            raise InvalidRequest(f"The currency must match the prices' currency ({currency}).", param="currency")
        interval, count = prices[0].recurring_interval or "month", prices[0].recurring_interval_count or 1
        default_rates = tax_rate_ids(params.get("default_tax_rates"), livemode=livemode, param="default_tax_rates")
        method, days_until_due = collection(params, CHARGE, None)
        payment_behavior = choice(params, "payment_behavior", PAYMENT_BEHAVIORS, "allow_incomplete")
        proration_behavior = choice(params, "proration_behavior", PRORATION_BEHAVIORS, "create_prorations")
        missing_pm = missing_pm_behavior(params, "create_invoice")
        trial_end = _trial_end_for_create(params, requests, now)
        anchor = None
        if params.get("billing_cycle_anchor") is not None:
            anchor = timestamp(params["billing_cycle_anchor"], param="billing_cycle_anchor")
            if trial_end is not None:
                raise InvalidRequest(
                    "billing_cycle_anchor cannot be combined with a trial.", param="billing_cycle_anchor"
                )
            if not now <= anchor <= add_interval(now, interval, count):
                raise InvalidRequest(
                    "billing_cycle_anchor must be between now and the end of the first full period.",
                    param="billing_cycle_anchor",
                )
        cancel_at = None
        if params.get("cancel_at") is not None:
            cancel_at = timestamp(params["cancel_at"], param="cancel_at")
            if cancel_at <= now:
                raise InvalidRequest("Invalid timestamp: must be in the future.", param="cancel_at")
        if cancel_at is not None and params.get("cancel_at_period_end"):
            raise InvalidRequest("You cannot set both cancel_at and cancel_at_period_end.", param="cancel_at")
        pm = None
        if params.get("default_payment_method"):
            pm = payment_method_for(str(params["default_payment_method"]), customer, livemode=livemode)
        wanted_discounts = discount_requests(params.get("discounts"), customer, now=now, currency=currency)
        metadata = merge_metadata({}, params.get("metadata") or {})

        if trial_end is not None:
            anchor, period_end, status = trial_end, trial_end, Status.TRIALING
        elif anchor is not None and anchor > now:
            period_end, status = anchor, Status.INCOMPLETE
        else:
            anchor, period_end, status = now, add_interval(now, interval, count), Status.INCOMPLETE
        if status == Status.INCOMPLETE and method == SEND:
            status = Status.ACTIVE

        sub = Subscription(
            id=new_id("sub"),
            livemode=livemode,
            created=now,
            metadata=metadata,
            customer=customer,
            status=status,
            currency=currency,
            description=params.get("description"),
            collection_method=method,
            days_until_due=days_until_due,
            default_payment_method=pm,
            default_tax_rates=default_rates,
            billing_cycle_anchor=anchor,
            current_period_start=now,
            current_period_end=period_end,
            start_date=now,
            trial_start=now if trial_end else None,
            trial_end=trial_end,
            trial_missing_payment_method=missing_pm,
            cancel_at=cancel_at,
            cancel_at_period_end=bool(params.get("cancel_at_period_end")),
            test_clock_id=customer.test_clock_id,
        )
        sub.save(force_insert=True)
        items = [
            SubscriptionItem(
                id=new_id("si"),
                livemode=livemode,
                created=now,
                metadata=merge_metadata({}, r.metadata or {}),
                subscription=sub,
                price=r.price,
                quantity=1 if r.quantity is None else r.quantity,
                tax_rates=r.tax_rates or [],
            )
            for r in requests
        ]
        SubscriptionItem.objects.bulk_create(items)
        create_discounts(wanted_discounts, sub, now=now)
        b = load_bundle(sub)

        if trial_end is not None:
            lines = trial_lines(b, start=now, end=trial_end)
        elif period_end == anchor:
            full_start = add_interval(anchor, interval, count, -1)
            fraction = remaining_fraction(full_start, anchor, now) if proration_behavior != "none" else Fraction(0)
            lines = partial_period_lines(b, start=now, end=anchor, fraction=fraction)
        else:
            lines = cycle_lines(b, start=now, end=period_end)
        discounts = discount_ids_for([b], now=now)[sub.id]
        draft = subscription_draft(b, now=now, billing_reason="subscription_create", lines=lines, discounts=discounts)
        with quiet_updates(sub.id):
            bill_now(b, draft, now=now, payment_behavior=payment_behavior, preview=preview)
        save_subscriptions(
            [b], before={}, now=now, fields=SUB_FIELDS, events={sub.id: ("customer.subscription.created",)}
        )
        return sub


# --------------------------------------------------------------------------- cancel, resume, discount


def cancel_subscription(
    sub: Subscription,
    *,
    now: dt.datetime | None = None,
    invoice_now: bool = False,
    prorate: bool = False,
    cancellation_details: Mapping[str, Any] | None = None,
) -> Subscription:
    """Cancel now (``DELETE /v1/subscriptions/{id}``). ``prorate`` credits the unused time as
    pending items; ``invoice_now`` bills whatever is pending in a final invoice."""
    with transaction.atomic():
        sub = get_subscription(sub.id, livemode=sub.livemode, lock=True)
        if sub.status in ENDED:
            raise InvalidRequest(f"This subscription is already {sub.status}: {sub.id}", param="id")
        now = now or whole_seconds_now(sub)
        b = load_bundle(sub)
        if prorate and sub.status not in (Status.TRIALING, Status.PAUSED, Status.INCOMPLETE):
            fraction = remaining_fraction(sub.current_period_start, sub.current_period_end, now)
            changes = [(Terms.of(item), None) for item in b.items]
            create_pending_items(
                proration_items(sub, changes, at=now, period_end=sub.current_period_end, fraction=fraction)
            )
        if invoice_now and has_pending_items(sub):
            draft = subscription_draft(
                b,
                now=now,
                billing_reason="subscription_update",
                lines=[],
                discounts=discount_ids_for([b], now=now)[sub.id],
            )
            with quiet_updates(sub.id):
                bill_now(b, draft, now=now, payment_behavior="allow_incomplete")
        sub.cancellation_details = merge_cancellation_details(
            {"cancellation_details": cancellation_details}, sub.cancellation_details or {}
        )
        end_subscriptions([b], now=now, reason="cancellation_requested")
        return sub


def resume_subscription(sub_id: str, params: Mapping[str, Any], *, livemode: bool) -> Subscription:
    """``POST /v1/subscriptions/{id}/resume``: a paused subscription starts billing again, from
    now (``billing_cycle_anchor=now``, a full period) or on its old cycle (prorated)."""
    with transaction.atomic():
        sub = get_subscription(sub_id, livemode=livemode, lock=True)
        if sub.status != Status.PAUSED:
            raise InvalidRequest("Only a paused subscription can be resumed.", param="id")
        anchor = choice(params, "billing_cycle_anchor", ("now", "unchanged"), "now")
        proration_behavior = choice(params, "proration_behavior", PRORATION_BEHAVIORS, "create_prorations")
        now = whole_seconds_now(sub)
        b = load_bundle(sub)
        before = b.render()
        interval, count = interval_of(b.items)
        sub.status = Status.ACTIVE
        if anchor == "now":
            sub.billing_cycle_anchor = sub.current_period_start = now
            sub.current_period_end = add_interval(now, interval, count)
            lines = cycle_lines(b, start=now, end=sub.current_period_end)
        else:
            start, end = period_containing(sub.billing_cycle_anchor, interval, count, now)
            sub.current_period_start, sub.current_period_end = now, end
            lines = (
                partial_period_lines(b, start=now, end=end, fraction=remaining_fraction(start, end, now))
                if proration_behavior != "none"
                else []
            )
        if lines:
            draft = subscription_draft(
                b,
                now=now,
                billing_reason="subscription_update",
                lines=lines,
                discounts=discount_ids_for([b], now=now)[sub.id],
            )
            with quiet_updates(sub.id):
                bill_now(b, draft, now=now, payment_behavior="allow_incomplete")
        save_subscriptions(
            [b],
            before={sub.id: before},
            now=now,
            fields=SUB_FIELDS,
            events={sub.id: (UPDATED, "customer.subscription.resumed")},
        )
        return sub


def delete_subscription_discount(sub_id: str, *, livemode: bool) -> dict[str, Any]:
    """``DELETE /v1/subscriptions/{id}/discount``: ends the subscription's discounts."""
    with transaction.atomic():
        sub = get_subscription(sub_id, livemode=livemode, lock=True)
        b = load_bundle(sub)
        if not b.discounts:
            raise ResourceMissing("discount", f"for subscription {sub_id}", param="id")
        now = whole_seconds_now(sub)
        before = b.render()
        ended = list(b.discounts)
        end_discounts(ended, now=now)
        b.discounts = []
        save_subscriptions([b], before={sub.id: before}, now=now, fields=[])
        return {**render_discount(ended[0]), "deleted": True}


# --------------------------------------------------------------------------- subscription items


def _item(item_id: str, *, livemode: bool) -> SubscriptionItem:
    item = SubscriptionItem.objects.select_related("subscription").filter(id=item_id, livemode=livemode).first()
    if item is None:
        raise ResourceMissing("subscription_item", item_id)
    return item


_ITEM_KEYS = ("price", "quantity", "tax_rates", "metadata")
_UPDATE_KEYS = ("proration_behavior", "proration_date", "payment_behavior")


def _split(params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    return (
        {k: params[k] for k in _ITEM_KEYS if k in params},
        {k: params[k] for k in _UPDATE_KEYS if k in params},
    )


def create_subscription_item(params: Mapping[str, Any], *, livemode: bool) -> SubscriptionItem:
    if not params.get("subscription"):
        raise InvalidRequest("Missing required param: subscription.", code="parameter_missing", param="subscription")
    entry, update = _split(params)
    with transaction.atomic():
        sub = get_subscription(str(params["subscription"]), livemode=livemode, lock=True)
        outcome = apply_update(sub, {**update, "items": [entry]})
        return SubscriptionItem.objects.select_related("price").get(id=outcome.created_item_ids[0])


def update_subscription_item(item_id: str, params: Mapping[str, Any], *, livemode: bool) -> SubscriptionItem:
    entry, update = _split(params)
    with transaction.atomic():
        item = _item(item_id, livemode=livemode)
        sub = get_subscription(item.subscription_id, livemode=livemode, lock=True)
        apply_update(sub, {**update, "items": [{**entry, "id": item_id}]})
        return SubscriptionItem.objects.select_related("price").get(id=item_id)


def delete_subscription_item(item_id: str, params: Mapping[str, Any], *, livemode: bool) -> dict[str, Any]:
    _, update = _split(params)
    with transaction.atomic():
        item = _item(item_id, livemode=livemode)
        sub = get_subscription(item.subscription_id, livemode=livemode, lock=True)
        apply_update(sub, {**update, "items": [{"id": item_id, "deleted": True}]})
        return {"id": item_id, "object": "subscription_item", "deleted": True}
