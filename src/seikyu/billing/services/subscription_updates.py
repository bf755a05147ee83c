"""Changing a subscription: the one update path behind ``POST /v1/subscriptions/{id}``, the
subscription item endpoints and invoice previews.

Item changes are prorated (``proration_pair``: a credit for the unused old terms and a charge for
the remaining new ones, as pending invoice items, or invoiced at once with ``always_invoice``);
an interval change, ``billing_cycle_anchor=now`` or ending a trial starts a new period now and
invoices it immediately, crediting the unused time of the old one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from seikyu.core.errors import InvalidRequest, ResourceMissing
from seikyu.core.ids import new_id
from seikyu.core.periods import add_interval
from seikyu.core.proration import remaining_fraction
from seikyu.db.rows import bulk_save
from seikyu.events.services import PendingEvent, emit_many

from ..models import Discount, Invoice, Subscription, SubscriptionItem
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
    proration_items,
    subscription_draft,
)
from .subscription_params import (
    PAYMENT_BEHAVIORS,
    PRORATION_BEHAVIORS,
    ItemRequest,
    check_prices_fit,
    choice,
    collection,
    create_discounts,
    discount_requests,
    item_requests,
    merge_cancellation_details,
    missing_pm_behavior,
    pause_collection,
    payment_method_for,
    proration_date,
    tax_rate_ids,
    timestamp,
)
from .subscription_state import (
    ENDED,
    SUB_FIELDS,
    UPDATED,
    Bundle,
    get_subscription,
    load_bundle,
    quiet_updates,
    save_subscriptions,
    whole_seconds_now,
)

Status = Subscription.Status


@dataclass
class Outcome:
    sub: Subscription
    invoice: Invoice | None = None
    created_item_ids: list[str] = field(default_factory=list)


@dataclass
class _ItemPlan:
    changes: list[tuple[Terms | None, Terms | None]]
    created: list[SubscriptionItem]
    updated: list[SubscriptionItem]
    deleted: list[SubscriptionItem]
    remaining: list[SubscriptionItem]


def _plan_items(b: Bundle, requests: Sequence[ItemRequest], *, now: dt.datetime) -> _ItemPlan:
    current = {item.id: item for item in b.items}
    plan = _ItemPlan([], [], [], [], [])
    for r in requests:
        if r.id is None:
            if r.price is None:
                raise InvalidRequest("Missing required param: price.", code="parameter_missing", param=r.param("price"))
            item = SubscriptionItem(
                id=new_id("si"),
                livemode=b.sub.livemode,
                created=now,
                metadata=merge_metadata({}, r.metadata or {}),
                subscription=b.sub,
                price=r.price,
                quantity=1 if r.quantity is None else r.quantity,
                tax_rates=r.tax_rates or [],
            )
            plan.created.append(item)
            plan.changes.append((None, Terms.of(item)))
            continue
        found = current.get(r.id)
        if found is None:
            raise ResourceMissing("subscription_item", r.id, param=r.param("id"))
        old = Terms.of(found)
        if r.deleted:
            plan.deleted.append(found)
            plan.changes.append((old, None))
            continue
        if r.price is not None:
            found.price = r.price
        if r.quantity is not None:
            found.quantity = r.quantity
        if r.tax_rates is not None:
            found.tax_rates = r.tax_rates
        if "metadata" in r.given:
            found.metadata = merge_metadata(found.metadata, r.metadata)
        plan.updated.append(found)
        plan.changes.append((old, Terms.of(found)))
    gone = {item.id for item in plan.deleted}
    plan.remaining = [item for item in b.items if item.id not in gone] + plan.created
    check_prices_fit([item.price for item in plan.remaining])
    if plan.remaining[0].price.currency != b.sub.currency:
        raise InvalidRequest("The prices' currency must match the subscription's currency.", param="items")
    return plan


def _save_items(plan: _ItemPlan) -> None:
    SubscriptionItem.objects.bulk_create(plan.created)
    bulk_save(plan.updated, ["price", "quantity", "tax_rates", "metadata"])
    SubscriptionItem.objects.filter(id__in=[item.id for item in plan.deleted]).delete()


def _update_discounts(b: Bundle, raw: Sequence[Mapping[str, Any]] | None, *, now: dt.datetime) -> None:
    keep = {str(entry["discount"]) for entry in raw or [] if entry.get("discount")}
    unknown = keep - {d.id for d in b.discounts}
    if unknown:
        raise ResourceMissing("discount", sorted(unknown)[0], param="discounts")
    wanted = discount_requests(
        [entry for entry in raw or [] if not entry.get("discount")], b.sub.customer, now=now, currency=b.sub.currency
    )
    ended = [d for d in b.discounts if d.id not in keep]
    end_discounts(ended, now=now)
    create_discounts(wanted, b.sub, now=now)


def end_discounts(discounts: Sequence[Discount], *, now: dt.datetime) -> None:
    if not discounts:
        return
    Discount.objects.filter(id__in=[d.id for d in discounts]).update(ended_at=now)
    emit_many(PendingEvent("customer.discount.deleted", render_discount(d), now, d.livemode) for d in discounts)


_ENDED_EDITABLE = frozenset({"metadata", "cancellation_details", "expand"})


def apply_update(sub: Subscription, params: Mapping[str, Any], *, preview: bool = False) -> Outcome:
    """The one update path (API updates, subscription items, previews). With ``preview`` an
    immediate invoice is created but neither finalized nor charged; the caller rolls back."""
    now = whole_seconds_now(sub)
    if sub.status in ENDED and set(params) - _ENDED_EDITABLE:
        raise InvalidRequest(
            "A canceled subscription can only update its cancellation_details and metadata.",
            param=sorted(set(params) - _ENDED_EDITABLE)[0],
        )
    b = load_bundle(sub)
    before = b.render()
    original = [Terms.of(item) for item in b.items]
    old_interval = interval_of(b.items)
    proration_behavior = choice(params, "proration_behavior", PRORATION_BEHAVIORS, "create_prorations")
    payment_behavior = choice(params, "payment_behavior", PAYMENT_BEHAVIORS, "allow_incomplete")
    at = proration_date(params, sub, now)
    plan = _plan_items(b, item_requests(params.get("items"), livemode=sub.livemode), now=now)
    new_interval = interval_of(plan.remaining)
    trialing = sub.status == Status.TRIALING
    anchor_param = choice(params, "billing_cycle_anchor", ("now", "unchanged"), "unchanged")
    trial_end = params.get("trial_end")
    end_trial_now = trialing and (trial_end == "now" or anchor_param == "now")
    reset = end_trial_now or (not trialing and (anchor_param == "now" or new_interval != old_interval))

    # Plain fields first: every check happens before anything is written.
    if "collection_method" in params or "days_until_due" in params:
        sub.collection_method, sub.days_until_due = collection(params, sub.collection_method, sub.days_until_due)
    if "default_payment_method" in params:
        pm_id = params["default_payment_method"]
        sub.default_payment_method = (
            None if pm_id is None else payment_method_for(str(pm_id), sub.customer, livemode=sub.livemode)
        )
    if "default_tax_rates" in params:
        sub.default_tax_rates = tax_rate_ids(
            params["default_tax_rates"], livemode=sub.livemode, param="default_tax_rates"
        )
    if "description" in params:
        sub.description = params["description"]
    if "metadata" in params:
        sub.metadata = merge_metadata(sub.metadata, params["metadata"])
    if "trial_settings" in params:
        sub.trial_missing_payment_method = missing_pm_behavior(params, sub.trial_missing_payment_method)
    if "pause_collection" in params:
        sub.pause_collection = pause_collection(params["pause_collection"])
    if "cancel_at_period_end" in params:
        sub.cancel_at_period_end = bool(params["cancel_at_period_end"])
        if sub.cancel_at_period_end:
            sub.cancel_at = None
    if "cancel_at" in params:
        if params["cancel_at"] is None:
            sub.cancel_at = None
        else:
            sub.cancel_at = timestamp(params["cancel_at"], param="cancel_at")
            if sub.cancel_at <= now:
                raise InvalidRequest("Invalid timestamp: must be in the future.", param="cancel_at")
            sub.cancel_at_period_end = False
    sub.cancellation_details = merge_cancellation_details(params, sub.cancellation_details or {})
    if trial_end not in (None, "now"):
        new_end = timestamp(trial_end, param="trial_end")
        if not trialing:
            raise InvalidRequest("Only a trialing subscription's trial_end can be changed.", param="trial_end")
        if new_end <= now:
            raise InvalidRequest("Invalid timestamp: must be in the future.", param="trial_end")
        sub.trial_end = sub.current_period_end = sub.billing_cycle_anchor = new_end
        sub.trial_will_end_sent_at = None
    if "discounts" in params:
        _update_discounts(b, params["discounts"], now=now)

    # Prorations: nothing is charged for changes inside a trial.
    rows = []
    if proration_behavior != "none" and not trialing and sub.status != Status.PAUSED:
        fraction = remaining_fraction(sub.current_period_start, sub.current_period_end, at)
        changes = [(old, None) for old in original] if reset else plan.changes
        rows = proration_items(sub, changes, at=at, period_end=sub.current_period_end, fraction=fraction)
    _save_items(plan)
    create_pending_items(rows)

    events: list[str] = [UPDATED]
    if reset:
        interval, count = new_interval
        sub.billing_cycle_anchor = sub.current_period_start = now
        sub.current_period_end = add_interval(now, interval, count)
        if end_trial_now:
            sub.trial_end = now
            sub.status = Status.ACTIVE
            if sub.trial_will_end_sent_at is None:
                sub.trial_will_end_sent_at = now
                events.append("customer.subscription.trial_will_end")
    b = load_bundle(sub)
    invoice = None
    if reset or (proration_behavior == "always_invoice" and (rows or has_pending_items(sub))):
        lines = cycle_lines(b, start=now, end=sub.current_period_end) if reset else []
        discounts = discount_ids_for([b], now=now)[sub.id]
        draft = subscription_draft(b, now=now, billing_reason="subscription_update", lines=lines, discounts=discounts)
        with quiet_updates(sub.id):
            invoice = bill_now(b, draft, now=now, payment_behavior=payment_behavior, preview=preview)
    save_subscriptions([b], before={sub.id: before}, now=now, fields=SUB_FIELDS, events={sub.id: events})
    return Outcome(sub, invoice, [item.id for item in plan.created])


def update_subscription(sub_id: str, params: Mapping[str, Any], *, livemode: bool) -> Subscription:
    with transaction.atomic():
        return apply_update(get_subscription(sub_id, livemode=livemode, lock=True), params).sub
