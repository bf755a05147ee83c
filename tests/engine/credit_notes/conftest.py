"""Fixtures for credit notes: JPY tax rates (10 %, 8 %, 10 % inclusive), customers with or without a
card, finalized invoices built through the invoice engine, and the events written, in order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from seikyu.billing.models import Customer, Invoice
from seikyu.billing.services.catalog import create_coupon
from seikyu.billing.services.invoice_items import create_invoice_item
from seikyu.billing.services.invoices import create_manual_invoice, finalize_invoice, pay_invoice
from seikyu.events.models import Event

from ..shared_fixtures import NOW, Rates, frozen_real_time, make_customer, rates  # noqa: F401 (fixtures)

Items = list[tuple[int, list[str]]]


@pytest.fixture
def open_invoice(db: None) -> Callable[..., Invoice]:
    """A finalized (open) manual invoice of ``(amount, tax rate ids)`` items, e.g.
    ``open_invoice(customer, [(1000, [rates.standard.id])])``; ``quantities`` per item optional."""

    def make(customer: Customer, items: Items, *, quantities: list[int] | None = None, **invoice: Any) -> Invoice:
        for n, (amount, tax_rates) in enumerate(items):
            item: dict[str, Any] = {"customer": customer.id, "currency": "jpy", "tax_rates": tax_rates}
            if quantities:
                item |= {"unit_amount": amount, "quantity": quantities[n], "description": f"item {n}"}
            else:
                item |= {"amount": amount, "description": f"item {n}"}
            create_invoice_item(item, livemode=False)
        draft = create_manual_invoice({"customer": customer.id, **invoice}, livemode=False)
        return finalize_invoice(draft)

    return make


@pytest.fixture
def paid_invoice(open_invoice: Callable[..., Invoice]) -> Callable[..., Invoice]:
    """Like ``open_invoice``, then paid with the customer's card (or out of band without one)."""

    def make(customer: Customer, items: Items, **kwargs: Any) -> Invoice:
        invoice = open_invoice(customer, items, **kwargs)
        return pay_invoice(invoice, paid_out_of_band=customer.default_payment_method_id is None)

    return make


@pytest.fixture
def coupon(db: None) -> Callable[..., Any]:
    def make(**data: Any) -> Any:
        return create_coupon({"duration": "once", **data}, livemode=False)

    return make


def events_since(mark: str | None = None) -> list[Event]:
    """Events in emission order (ids are time-ordered), after the event id ``mark``."""
    query = Event.objects.order_by("id")
    if mark:
        query = query.filter(id__gt=mark)
    return list(query)


def last_event_id() -> str | None:
    return Event.objects.order_by("-id").values_list("id", flat=True).first()
