"""The official ``stripe`` SDK pointed at a live Seikyu on loopback (see ``tests/live_server.py``)."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import stripe

START = int(dt.datetime(2026, 4, 1, 0, 0, tzinfo=dt.UTC).timestamp())
DAY = 86_400


@dataclass(frozen=True)
class Catalog:
    product: stripe.Product
    monthly: stripe.Price
    yearly: stripe.Price
    tax_10: stripe.TaxRate


@pytest.fixture
def jpy_catalog(stripe_sdk) -> Catalog:
    product = stripe.Product.create(name="Seikyu Cloud Standard")
    monthly = stripe.Price.create(product=product.id, currency="jpy", unit_amount=5000, recurring={"interval": "month"})
    yearly = stripe.Price.create(product=product.id, currency="jpy", unit_amount=50000, recurring={"interval": "year"})
    tax_10 = stripe.TaxRate.create(
        display_name="消費税", percentage=10, inclusive=False, country="JP", jurisdiction="JP"
    )
    return Catalog(product, monthly, yearly, tax_10)


def advance(clock_id: str, to: int, *, timeout: float = 90.0) -> stripe.test_helpers.TestClock:
    """Advance a test clock and wait, as integrators do, until it is ready again."""
    clock = stripe.test_helpers.TestClock.advance(clock_id, frozen_time=to)
    assert clock.status in ("advancing", "ready")
    deadline = time.monotonic() + timeout
    while clock.status != "ready":
        assert clock.status != "internal_failure", f"clock failed: {clock}"
        assert time.monotonic() < deadline, f"clock {clock_id} still {clock.status} after {timeout}s"
        time.sleep(0.2)
        clock = stripe.test_helpers.TestClock.retrieve(clock_id)
    assert clock.frozen_time == to
    return clock


@pytest.fixture
def customer_on_clock(stripe_sdk) -> Callable[..., tuple[stripe.Customer, stripe.test_helpers.TestClock]]:
    """A customer attached to a fresh test clock at START, paying with the given test card."""

    def make(
        card: str | None = "pm_card_visa", **customer_params: object
    ) -> tuple[stripe.Customer, stripe.test_helpers.TestClock]:
        clock = stripe.test_helpers.TestClock.create(frozen_time=START, name=f"clock {uuid.uuid4().hex[:6]}")
        customer = stripe.Customer.create(
            email=f"{uuid.uuid4().hex[:10]}@example.jp", name="株式会社テスト", test_clock=clock.id, **customer_params
        )
        if card:
            pm = stripe.PaymentMethod.attach(card, customer=customer.id)
            customer = stripe.Customer.modify(customer.id, invoice_settings={"default_payment_method": pm.id})
        return customer, clock

    return make
