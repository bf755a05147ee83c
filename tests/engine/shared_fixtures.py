"""Fixtures shared by the invoice and credit-note engine tests: real time pinned, JPY tax rates
(10 %, 8 % reduced, 10 % inclusive) and customers with or without a card. Each conftest imports
what it uses, so the fixtures apply only where they are imported."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from seikyu.billing.models import Customer, TaxRate
from seikyu.billing.services.catalog import create_tax_rate
from seikyu.billing.services.customers import create_customer, update_customer
from seikyu.billing.services.payment_methods import attach_payment_method
from seikyu.core.clock import pinned

NOW = dt.datetime(2026, 4, 1, 0, 0, tzinfo=dt.UTC)


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
