"""Fixtures for documents: a Japanese business with its settings, JPY tax rates at 10 % and the
reduced 8 %, customers in Japanese and English, finalized invoices, and PDF text extraction."""

from __future__ import annotations

import datetime as dt
import struct
import subprocess
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from seikyu.account.services import update_account_settings
from seikyu.billing.models import Customer, Invoice, TaxRate
from seikyu.billing.services.catalog import create_price, create_product, create_tax_rate
from seikyu.billing.services.customers import create_customer
from seikyu.billing.services.invoice_items import create_invoice_item
from seikyu.billing.services.invoices import create_manual_invoice, finalize_invoice
from seikyu.core.clock import pinned

NOW = dt.datetime(2026, 4, 1, 0, 30, tzinfo=dt.UTC)  # 09:30 on 1 April in Tokyo
REGISTRATION = "T7000012050002"  # the National Tax Agency's own corporate number, as a T number


@pytest.fixture(autouse=True)
def frozen_real_time() -> Iterator[dt.datetime]:
    with pinned(NOW):
        yield NOW


@pytest.fixture(autouse=True)
def hosted_urls(settings: Any) -> None:
    settings.PUBLIC_URL = "http://testserver"


def png(width: int = 120, height: int = 40, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A real PNG image (one colour), made here so tests need no image library."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def pdf_text(pdf: bytes, *, layout: bool = True) -> str:
    """The PDF's text as ``pdftotext`` (poppler) reads it; ``layout`` keeps each printed row on one line."""
    args = ["pdftotext", *(["-layout"] if layout else []), "-", "-"]
    return subprocess.run(args, input=pdf, capture_output=True, check=True).stdout.decode()


def compact(text: str) -> str:
    """Text without whitespace, so checks do not depend on how the extractor spaces things."""
    return "".join(text.split())


@pytest.fixture
def business(db: None) -> dict[str, Any]:
    settings = {
        "business": {
            "name": "株式会社請求テック",
            "name_en": "Seikyu Tech K.K.",
            "registration_number": REGISTRATION,
            "address": {
                "country": "JP",
                "postal_code": "150-0002",
                "state": "東京都",
                "city": "渋谷区",
                "line1": "渋谷2-21-1",
                "line2": "渋谷ヒカリエ 8F",
            },
            "address_en": {
                "country": "JP",
                "postal_code": "150-0002",
                "state": "Tokyo",
                "city": "Shibuya-ku",
                "line1": "2-21-1 Shibuya",
                "line2": "Hikarie 8F",
            },
        },
        "support": {"phone": "03-1234-5678", "email": "billing@seikyu.example", "url": "https://seikyu.example/help"},
        "statement_descriptor": "SEIKYU TECH",
        "invoice_defaults": {"footer": "いつもご利用いただきありがとうございます。"},
        "bank_transfer": {
            "bank_name": "みずほ銀行",
            "branch_name": "渋谷支店",
            "branch_code": "123",
            "account_type": "futsu",
            "account_number": "1234567",
            "account_holder": "ｶ)ｾｲｷﾕｳﾃﾂｸ",
            "note": "振込手数料はお客様のご負担にてお願いいたします。",
        },
    }
    update_account_settings(settings)
    return settings


class Rates:
    def __init__(self) -> None:
        self.standard = self._rate("消費税", "10")
        self.reduced = self._rate("消費税（軽減税率）", "8")

    @staticmethod
    def _rate(name: str, percentage: str) -> TaxRate:
        return create_tax_rate(
            {"display_name": name, "percentage": percentage, "inclusive": False, "country": "JP"}, livemode=False
        )


@pytest.fixture
def rates(db: None) -> Rates:
    return Rates()


@pytest.fixture
def make_customer(db: None) -> Callable[..., Customer]:
    def make(**data: Any) -> Customer:
        defaults = {
            "name": "株式会社テスト商事",
            "email": "keiri@test-shoji.example",
            "address": {
                "country": "JP",
                "postal_code": "530-0001",
                "state": "大阪府",
                "city": "大阪市北区",
                "line1": "梅田1-1-1",
            },
        }
        return create_customer({**defaults, **data}, livemode=False)

    return make


@pytest.fixture
def customer(make_customer: Callable[..., Customer]) -> Customer:
    return make_customer()


Item = tuple[str, int, TaxRate | None] | tuple[str, int, TaxRate | None, int]


@pytest.fixture
def make_invoice(db: None) -> Callable[..., Invoice]:
    """A finalized invoice from ``(description, unit amount, tax rate[, quantity])`` items."""

    def make(customer: Customer, items: list[Item], *, finalize: bool = True, **invoice: Any) -> Invoice:
        for description, unit_amount, rate, *quantity in items:
            create_invoice_item(
                {
                    "customer": customer.id,
                    "unit_amount": unit_amount,
                    "quantity": quantity[0] if quantity else 1,
                    "currency": "jpy",
                    "description": description,
                    "tax_rates": [rate.id] if rate else [],
                },
                livemode=False,
            )
        created = create_manual_invoice({"customer": customer.id, **invoice}, livemode=False)
        return finalize_invoice(created) if finalize else created

    return make


@pytest.fixture
def mixed_invoice(
    business: dict[str, Any], rates: Rates, customer: Customer, make_invoice: Callable[..., Invoice]
) -> Invoice:
    """A send_invoice invoice with standard-rate and reduced-rate lines: 10 % on ¥42,000, 8 % on ¥3,000."""
    return make_invoice(
        customer,
        [
            ("クラウド会計プラン（4月分）", 12000, rates.standard),
            ("お弁当セット", 1500, rates.reduced, 2),
            ("導入サポート", 30000, rates.standard),
        ],
        collection_method="send_invoice",
        days_until_due=30,
        description="4月分のご請求です。",
    )


@pytest.fixture
def product_price(db: None) -> Callable[..., Any]:
    def make(unit_amount: int, name: str = "Seikyu Pro", **price: Any) -> Any:
        product = create_product({"name": name}, livemode=False)
        return create_price(
            {"product": product.id, "currency": "jpy", "unit_amount": unit_amount, **price}, livemode=False
        )

    return make
