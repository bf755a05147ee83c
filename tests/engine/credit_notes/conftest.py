"""Fixtures for credit notes: JPY tax rates (10 %, 8 %, 10 % inclusive), customers with or without a
card, finalized invoices built through the invoice engine, and the events written, in order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from seikyu.billing.models import Customer, Invoice, TaxRate
from seikyu.billing.services.catalog import create_coupon, create_tax_rate
from seikyu.billing.services.customers import create_customer, update_customer
from seikyu.billing.services.invoice_items import create_invoice_item
from seikyu.billing.services.invoices import create_manual_invoice, finalize_invoice, pay_invoice
from seikyu.billing.services.payment_methods import attach_payment_method
from seikyu.core.clock import pinned
from seikyu.events.models import Event

NOW = dt.datetime(2026, 4, 1, 0, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_real_time() -> Iterator[dt.datetime]:
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
