"""Fixtures for the invoice engine: a JPY catalogue with 10 % and 8 % consumption tax, customers
with and without cards, and a recorder of emitted events in emission order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest

from seikyu.billing.models import Customer, Invoice
from seikyu.billing.services.catalog import create_coupon, create_price, create_product
from seikyu.billing.services.invoice_items import create_invoice_item
from seikyu.billing.services.invoices import create_manual_invoice
from seikyu.events.models import Event
from seikyu.events.subscribers import subscribe

from ..shared_fixtures import NOW, Rates, frozen_real_time, make_customer, rates  # noqa: F401 (fixtures)

DAY = dt.timedelta(days=1)


@pytest.fixture
def customer(make_customer: Callable[..., Customer]) -> Customer:  # noqa: F811 (an imported fixture)
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
