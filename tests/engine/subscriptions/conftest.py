"""Story helpers for subscription tests: a JPY catalog, customers on test clocks, advancing time.

Everything goes through the services, as the API would; time moves only through test clocks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from seikyu.billing.models import Customer, Invoice, Price, Subscription, TaxRate, TestClock
from seikyu.billing.services import catalog, customers, test_clocks
from seikyu.billing.services.payment_methods import attach_payment_method
from seikyu.billing.services.subscriptions import create_subscription
from seikyu.core.clock import to_unix
from seikyu.events.models import Event

START = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Catalog:
    monthly: Price
    yearly: Price
    weekly_usd: Price
    tax_10: TaxRate


@pytest.fixture
def jpy(db: Any) -> Catalog:
    product = catalog.create_product({"name": "Seikyu Cloud"}, livemode=False)

    def price(amount: int, interval: str, currency: str = "jpy") -> Price:
        return catalog.create_price(
            {"product": product.id, "currency": currency, "unit_amount": amount, "recurring": {"interval": interval}},
            livemode=False,
        )

    tax = catalog.create_tax_rate({"display_name": "消費税", "percentage": "10", "inclusive": False}, livemode=False)
    return Catalog(price(5000, "month"), price(50000, "year"), price(1000, "week", "usd"), tax)


def new_clock(at: dt.datetime = START) -> TestClock:
    return test_clocks.create_test_clock({"frozen_time": to_unix(at)}, livemode=False)


def new_customer(clock: TestClock | None, card: str | None = "pm_card_visa") -> Customer:
    customer = customers.create_customer(
        {"name": "株式会社テスト", "email": "billing@example.jp", **({"test_clock": clock.id} if clock else {})},
        livemode=False,
    )
    if card:
        pm = attach_payment_method(card, customer, livemode=False)
        customer = customers.update_customer(
            customer.id, {"invoice_settings": {"default_payment_method": pm.id}}, livemode=False
        )
    return customer


@pytest.fixture
def on_clock(db: Any) -> Callable[..., tuple[Customer, TestClock]]:
    """A customer on a fresh test clock at START, paying with ``card`` (None: no card)."""

    def make(card: str | None = "pm_card_visa", at: dt.datetime = START) -> tuple[Customer, TestClock]:
        clock = new_clock(at)
        return new_customer(clock, card), clock

    return make


def subscribe(customer: Customer, price: Price, **params: Any) -> Subscription:
    return create_subscription({"customer": customer.id, "items": [{"price": price.id}], **params}, livemode=False)


def advance(clock: TestClock, to: dt.datetime) -> TestClock:
    """Advance as the worker does it: queue the advance, then run the stepping task."""
    test_clocks.advance_test_clock(clock.id, {"frozen_time": to_unix(to)}, livemode=False)
    test_clocks.run_advance(clock.id)
    clock.refresh_from_db()
    assert clock.status == TestClock.Status.READY
    assert clock.frozen_time == to
    return clock


def invoices_of(customer: Customer) -> list[Invoice]:
    """Oldest first."""
    return list(Invoice.objects.filter(customer=customer).order_by("created", "id"))


def events(kind: str, object_id: str | None = None) -> list[Event]:
    found = Event.objects.filter(type=kind).order_by("created", "id")
    if object_id is not None:
        found = found.filter(object_id=object_id)
    return list(found)


def fresh(sub: Subscription) -> Subscription:
    return Subscription.objects.get(id=sub.id)
