"""Fixtures for the invoice engine: a JPY catalogue with 10 % and 8 % consumption tax, customers
with and without cards, and a recorder of emitted events in emission order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from seikyu.billing.models import Customer, Invoice, TaxRate
from seikyu.billing.services.catalog import create_coupon, create_price, create_product, create_tax_rate
from seikyu.billing.services.customers import create_customer, update_customer
from seikyu.billing.services.invoice_items import create_invoice_item
from seikyu.billing.services.invoices import create_manual_invoice
from seikyu.billing.services.payment_methods import attach_payment_method
from seikyu.core.clock import pinned
from seikyu.events.models import Event
from seikyu.events.subscribers import subscribe

NOW = dt.datetime(2026, 4, 1, 0, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def frozen_real_time() -> Iterator[dt.datetime]:
    """Real time pinned, so every ``created`` and schedule in a test is exact."""
    with pinned(NOW):
        yield NOW


@dataclass
class Rates:
    standard: TaxRate  # 10 % exclusive
    reduced: TaxRate  # 8 % exclusive (軽減税率)
    standard_inclusive: TaxRate  # 10 % inclusive


@pytest.fixture
def rates(db: None) -> Rates:
    def rate(name: str, percentage: str, inclusive: bool) -> TaxRate:
        return create_tax_rate(
            {"display_name": name, "percentage": percentage, "inclusive": inclusive, "country": "JP"}, livemode=False
        )

    return Rates(rate("消費税", "10", False), rate("消費税（軽減）", "8", False), rate("消費税（内税）", "10", True))


@pytest.fixture
def make_customer(db: None) -> Callable[..., Customer]:
    def make(card: str | None = None, **data: Any) -> Customer:
        customer = create_customer({"name": "株式会社テスト", "email": "billing@example.jp", **data}, livemode=False)
        if card:
            pm = attach_payment_method(card, customer, livemode=False)
            update_customer(customer.id, {"invoice_settings": {"default_payment_method": pm.id}}, livemode=False)
            customer.refresh_from_db()
        return customer

    return make


@pytest.fixture
def customer(make_customer: Callable[..., Customer]) -> Customer:
    return make_customer()


@pytest.fixture
def make_invoice() -> Callable[..., Invoice]:
    """A manual draft from ``(amount, tax_rate_ids)`` items, e.g. ``make_invoice(cus, [(1000, [r.id])])``."""

    def make(customer: Customer, items: list[tuple[int, list[str]]], **invoice: Any) -> Invoice:
        for amount, tax_rates in items:
            create_invoice_item(
                {"customer": customer.id, "amount": amount, "currency": "jpy", "tax_rates": tax_rates},
                livemode=False,
            )
        return create_manual_invoice({"customer": customer.id, **invoice}, livemode=False)

    return make


@pytest.fixture
def product_price(db: None) -> Callable[..., Any]:
    def make(unit_amount: int, **price: Any) -> Any:
        product = create_product({"name": "Seikyu Pro"}, livemode=False)
        return create_price(
            {"product": product.id, "currency": "jpy", "unit_amount": unit_amount, **price}, livemode=False
        )

    return make


@pytest.fixture
def coupon(db: None) -> Callable[..., Any]:
    def make(**data: Any) -> Any:
        return create_coupon({"duration": "once", **data}, livemode=False)

    return make


# --------------------------------------------------------------------------- events in order

_recording: list[list[Event]] = []


def _record(events: Sequence[Event]) -> None:
    for sink in _recording:
        sink.extend(events)


subscribe(["*"], _record)


class EventRecorder:
    """Events emitted inside ``capture()`` blocks, in emission order, as subscribers receive them
    inside the emitting transaction."""

    def __init__(self) -> None:
        self.seen: list[Event] = []

    @contextmanager
    def capture(self) -> Iterator[None]:
        _recording.append(self.seen)
        try:
            yield
        finally:
            _recording.remove(self.seen)

    def types(self, object_id: str | None = None) -> list[str]:
        return [e.type for e in self.seen if object_id is None or e.object_id == object_id]


@pytest.fixture
def events() -> EventRecorder:
    return EventRecorder()


def event_objects(kind: str) -> list[dict[str, Any]]:
    return [e.data["object"] for e in Event.objects.filter(type=kind)]
