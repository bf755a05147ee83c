"""Checking and resolving subscription parameters before anything is written.

Takes the plain parameter dicts the API's models produce (``None`` = "unset") and turns ids into
rows of the caller's mode, raising Stripe-style errors that name the exact parameter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from seikyu.core.clock import from_unix
from seikyu.core.errors import InvalidRequest, ResourceMissing, SeikyuError
from seikyu.events.services import PendingEvent, emit_many

from ..models import Coupon, Customer, Discount, PaymentMethod, Price, PromotionCode, Subscription, TaxRate
from ..render.customers import render_discount
from .catalog import new_discount, record_redemptions, resolve_discount_source
from .payment_methods import resolve_payment_method

CHARGE = Subscription.CollectionMethod.CHARGE_AUTOMATICALLY
SEND = Subscription.CollectionMethod.SEND_INVOICE
PRORATION_BEHAVIORS = ("create_prorations", "always_invoice", "none")
PAYMENT_BEHAVIORS = ("allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete")
MISSING_PM_BEHAVIORS = ("cancel", "create_invoice", "pause")
PAUSE_BEHAVIORS = ("keep_as_draft", "mark_uncollectible", "void")
MAX_TRIAL_DAYS = 730


def choice(params: Mapping[str, Any], key: str, options: Sequence[str], default: str) -> str:
    value = params.get(key)
    if value is None:
        return default
    if value not in options:
        raise InvalidRequest(f"Invalid {key}: must be one of {', '.join(options)}", param=key)
    return str(value)


def timestamp(value: Any, *, param: str) -> dt.datetime:
    try:
        at = from_unix(int(value))
    except (TypeError, ValueError, OverflowError):
        raise InvalidRequest(f"Invalid timestamp: {value}", param=param) from None
    assert at is not None
    return at


def get_customer(customer_id: Any, *, livemode: bool) -> Customer:
    if not customer_id:
        raise InvalidRequest("Missing required param: customer.", code="parameter_missing", param="customer")
    customer = Customer.objects.filter(id=customer_id, livemode=livemode, deleted_at__isnull=True).first()
    if customer is None:
        raise ResourceMissing("customer", str(customer_id), param="customer")
    return customer


def tax_rate_ids(ids: Sequence[str] | None, *, livemode: bool, param: str) -> list[str]:
    if not ids:
        return []
    found = set(TaxRate.objects.filter(id__in=ids, livemode=livemode).values_list("id", flat=True))
    for position, rate_id in enumerate(ids):
        if rate_id not in found:
            raise ResourceMissing("tax_rate", rate_id, param=f"{param}[{position}]")
    return list(dict.fromkeys(ids))


@dataclass
class ItemRequest:
    """One entry of ``items[]``: a change to an existing item (``id``), or a new one."""

    index: int
    id: str | None
    price: Price | None
    quantity: int | None
    tax_rates: list[str] | None
    deleted: bool
    metadata: Mapping[str, str | None] | None
    given: frozenset[str]

    def param(self, name: str) -> str:
        return f"items[{self.index}][{name}]"


def item_requests(raw: Sequence[Mapping[str, Any]] | None, *, livemode: bool) -> list[ItemRequest]:
    """Resolves the prices (one query) and tax rates of ``items[]``."""
    raw = raw or []
    price_ids = {str(r["price"]) for r in raw if r.get("price")}
    prices = {p.id: p for p in Price.objects.filter(id__in=price_ids, livemode=livemode).select_related("product")}
    requests = []
    for index, entry in enumerate(raw):
        if entry.get("price_data") is not None:
            raise InvalidRequest(
                "price_data is not supported; create a price first", param=f"items[{index}][price_data]"
            )
        price = None
        if entry.get("price"):
            price = prices.get(str(entry["price"]))
            if price is None:
                raise ResourceMissing("price", str(entry["price"]), param=f"items[{index}][price]")
            if price.type != Price.Type.RECURRING:
                raise InvalidRequest(
                    f"The price specified is set to `type=one_time` but this field only accepts prices with "
                    f"`type=recurring`: {price.id}",
                    param=f"items[{index}][price]",
                )
            if not price.active:
                raise InvalidRequest(f"The price specified is inactive: {price.id}", param=f"items[{index}][price]")
        quantity = entry.get("quantity")
        if quantity is not None and int(quantity) < 0:
            raise InvalidRequest("Invalid quantity: must be at least 0", param=f"items[{index}][quantity]")
        rates = entry.get("tax_rates")
        requests.append(
            ItemRequest(
                index=index,
                id=entry.get("id"),
                price=price,
                quantity=None if quantity is None else int(quantity),
                tax_rates=None
                if "tax_rates" not in entry
                else tax_rate_ids(rates, livemode=livemode, param=f"items[{index}][tax_rates]"),
                deleted=bool(entry.get("deleted")),
                metadata=entry.get("metadata"),
                given=frozenset(entry),
            )
        )
    return requests


def check_prices_fit(prices: Sequence[Price], *, param: str = "items") -> None:
    """All items of a subscription bill in one currency on one schedule, each price once."""
    if not prices:
        raise InvalidRequest("A subscription must have at least one item.", param=param)
    first = prices[0]
    for price in prices[1:]:
        if price.currency != first.currency:
            raise InvalidRequest("All prices on a subscription must have the same currency.", param=param)
        if (price.recurring_interval, price.recurring_interval_count) != (
            first.recurring_interval,
            first.recurring_interval_count,
        ):
            raise InvalidRequest(
                "All prices on a subscription must have the same `recurring.interval` and `recurring.interval_count`.",
                param=param,
            )
    ids = [p.id for p in prices]
    if len(set(ids)) != len(ids):
        raise InvalidRequest("Cannot add multiple subscription items with the same price.", param=param)


def payment_method_for(pm_id: str, customer: Customer, *, livemode: bool) -> PaymentMethod:
    """A payment method of this customer for ``default_payment_method``; Stripe's magic test ids
    (``pm_card_visa``) are attached to the customer first, as a test integration expects."""
    try:
        return resolve_payment_method(pm_id, customer, livemode=livemode)
    except SeikyuError as exc:
        exc.param = "default_payment_method"
        raise


@dataclass(frozen=True)
class DiscountRequest:
    coupon: Coupon
    promotion_code: PromotionCode | None


def discount_requests(
    raw: Sequence[Mapping[str, Any]] | None, customer: Customer, *, now: dt.datetime, currency: str
) -> list[DiscountRequest]:
    """``discounts[]`` entries naming a coupon or a promotion code, redeemable now."""
    requests = []
    for index, entry in enumerate(raw or []):
        try:
            coupon, promo = resolve_discount_source(
                coupon_id=entry.get("coupon"),
                promotion_code_id=entry.get("promotion_code"),
                livemode=customer.livemode,
                customer=customer,
                at=now,
            )
        except SeikyuError as exc:
            # The shared resolver names the bare field; point at this entry of discounts[].
            exc.param = f"discounts[{index}][{exc.param}]" if exc.param else f"discounts[{index}]"
            raise
        if coupon.amount_off is not None and (coupon.currency or "").lower() != currency.lower():
            raise InvalidRequest(
                f"The coupon {coupon.id} is in {coupon.currency} but the subscription bills in {currency}.",
                param=f"discounts[{index}][coupon]",
            )
        requests.append(DiscountRequest(coupon, promo))
    return requests


def create_discounts(requests: Sequence[DiscountRequest], sub: Subscription, *, now: dt.datetime) -> list[Discount]:
    """Discount rows for the subscription; each redemption counts on its coupon and promotion code."""
    rows = [new_discount(r.coupon, r.promotion_code, sub.customer, start=now, subscription_id=sub.id) for r in requests]
    if not rows:
        return []
    Discount.objects.bulk_create(rows)
    for r in requests:
        record_redemptions(r.coupon, r.promotion_code)
    emit_many(PendingEvent("customer.discount.created", render_discount(d), now, d.livemode) for d in rows)
    return rows


def trial_days(value: Any, *, param: str) -> int:
    days = int(value)
    if not 0 <= days <= MAX_TRIAL_DAYS:
        raise InvalidRequest(f"Invalid {param}: must be between 0 and {MAX_TRIAL_DAYS}", param=param)
    return days


def missing_pm_behavior(params: Mapping[str, Any], default: str) -> str:
    end = ((params.get("trial_settings") or {}).get("end_behavior")) or {}
    value = end.get("missing_payment_method")
    if value is None:
        return default
    if value not in MISSING_PM_BEHAVIORS:
        raise InvalidRequest(
            f"Invalid missing_payment_method: must be one of {', '.join(MISSING_PM_BEHAVIORS)}",
            param="trial_settings[end_behavior][missing_payment_method]",
        )
    return str(value)


def collection(params: Mapping[str, Any], current: str, current_days: int | None) -> tuple[str, int | None]:
    method = choice(params, "collection_method", (CHARGE, SEND), current)
    days = params.get("days_until_due", current_days if method == SEND else None)
    if method == SEND and days is None:
        raise InvalidRequest(
            "Missing required param: days_until_due.", code="parameter_missing", param="days_until_due"
        )
    if method == CHARGE and days is not None and "days_until_due" in params:
        raise InvalidRequest(
            "days_until_due can only be set when collection_method is send_invoice.", param="days_until_due"
        )
    return method, (None if days is None else int(days))


def merge_cancellation_details(params: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    given = params.get("cancellation_details")
    if given is None:
        return dict(current)
    return {**current, **{k: given.get(k) for k in ("comment", "feedback") if k in given}}


def pause_collection(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    behavior = value.get("behavior")
    if behavior not in PAUSE_BEHAVIORS:
        raise InvalidRequest(
            f"Invalid behavior: must be one of {', '.join(PAUSE_BEHAVIORS)}", param="pause_collection[behavior]"
        )
    resumes = value.get("resumes_at")
    if resumes is not None:
        timestamp(resumes, param="pause_collection[resumes_at]")
    return {"behavior": behavior, "resumes_at": None if resumes is None else int(resumes)}


def proration_date(params: Mapping[str, Any], sub: Subscription, now: dt.datetime) -> dt.datetime:
    if params.get("proration_date") is None:
        return now
    at = timestamp(params["proration_date"], param="proration_date")
    if not sub.current_period_start <= at <= sub.current_period_end:
        raise InvalidRequest("proration_date must be within the current billing period.", param="proration_date")
    return at
