"""A real SMTP server on loopback (aiosmtpd) that Django's SMTP backend sends to, a Japanese
business with its email settings, and story helpers for customers on test clocks."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from seikyu.account.services import create_file, update_account_settings
from seikyu.billing.models import Customer, Price, Subscription, TaxRate, TestClock
from seikyu.billing.services import catalog, customers, test_clocks
from seikyu.billing.services.payment_methods import attach_payment_method
from seikyu.billing.services.subscriptions import create_subscription
from seikyu.core.clock import to_unix
from seikyu.notifications.services import send_due_emails

START = dt.datetime(2026, 4, 1, 0, 0, tzinfo=dt.UTC)  # 09:00 on 1 April in Tokyo
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
TEAM = ["ops@seikyu-tech.example", "cfo@seikyu-tech.example"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        assert part is not None
        return str(part.get_content())

    def pdfs(self) -> dict[str, bytes]:
        return {
            str(part.get_filename()): bytes(part.get_content())
            for part in self.message.iter_attachments()
            if part.get_content_type() == "application/pdf"
        }

    def date(self) -> dt.datetime:
        return email.utils.parsedate_to_datetime(str(self.message["Date"]))


@dataclass
class SmtpServer:
    """aiosmtpd in a thread; ``down()`` and ``up()`` keep the same port."""

    port: int
    received: list[Received] = field(default_factory=list)
    controller: Controller | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.content)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw, parsed))
        return "250 Message accepted for delivery"

    def up(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def down(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]

    def mailers(self) -> dict[str, Any]:
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": 5},
            }
        }


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.up()
    settings.MAILERS = server.mailers()
    settings.PUBLIC_URL = "https://billing.seikyu-tech.example"
    yield server
    server.down()


def png(width: int = 160, height: int = 48) -> bytes:
    """A small real PNG logo."""
    import struct
    import zlib

    rows = b"".join(b"\x00" + bytes((31, 58, 95)) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture
def business(db: None) -> dict[str, Any]:
    logo = create_file(purpose="business_logo", filename="logo.png", content=png(), livemode=False)
    values = {
        "business": {
            "name": "株式会社請求テック",
            "name_en": "Seikyu Tech K.K.",
            "registration_number": "T7000012050002",
            "address": {
                "country": "JP",
                "postal_code": "150-0002",
                "state": "東京都",
                "city": "渋谷区",
                "line1": "渋谷2-21-1",
            },
        },
        "support": {"email": "support@seikyu-tech.example", "phone": "03-1234-5678"},
        "branding": {"logo": logo.id, "brand_color": "#0F766E", "accent_color": "#ECFDF5"},
        "bank_transfer": {
            "bank_name": "みずほ銀行",
            "branch_name": "渋谷支店",
            "branch_code": "210",
            "account_type": "futsu",
            "account_number": "1234567",
            "account_holder": "ｶ)ｾｲｷﾕｳﾃﾂｸ",
        },
        "email_sender": {
            "name": "請求テック",
            "address": "billing@seikyu-tech.example",
            "reply_to": "support@seikyu-tech.example",
        },
        "alert_recipients": TEAM,
    }
    update_account_settings(values)
    return values


def switch(**kinds: Any) -> None:
    """``switch(trial_ending=False)``, ``switch(past_due_reminders={"enabled": True})``."""
    update_account_settings(
        {"customer_emails": {k: v if isinstance(v, dict) else {"enabled": v} for k, v in kinds.items()}}
    )


@dataclass(frozen=True)
class Catalog:
    monthly: Price
    yearly: Price
    tax: TaxRate


@pytest.fixture
def plans(db: None) -> Catalog:
    product = catalog.create_product({"name": "Seikyu Cloud"}, livemode=False)

    def price(amount: int, interval: str) -> Price:
        return catalog.create_price(
            {"product": product.id, "currency": "jpy", "unit_amount": amount, "recurring": {"interval": interval}},
            livemode=False,
        )

    tax = catalog.create_tax_rate({"display_name": "消費税", "percentage": "10", "inclusive": False}, livemode=False)
    return Catalog(price(5000, "month"), price(50000, "year"), tax)


def new_clock(at: dt.datetime = START) -> TestClock:
    return test_clocks.create_test_clock({"frozen_time": to_unix(at)}, livemode=False)


def new_customer(
    clock: TestClock | None,
    *,
    email: str,
    name: str = "山田太郎",
    locales: list[str] | None = None,
    card: str | None = "pm_card_visa",
) -> Customer:
    customer = customers.create_customer(
        {
            "name": name,
            "email": email,
            "preferred_locales": locales or ["ja"],
            **({"test_clock": clock.id} if clock else {}),
        },
        livemode=False,
    )
    if card:
        pm = attach_payment_method(card, customer, livemode=False)
        customer = customers.update_customer(
            customer.id, {"invoice_settings": {"default_payment_method": pm.id}}, livemode=False
        )
    return customer


def subscribe(customer: Customer, price: Price, tax: TaxRate | None = None, **params: Any) -> Subscription:
    return create_subscription(
        {
            "customer": customer.id,
            "items": [{"price": price.id}],
            **({"default_tax_rates": [tax.id]} if tax else {}),
            **params,
        },
        livemode=False,
    )


def advance(clock: TestClock, to: dt.datetime) -> None:
    """As the worker does it: queue the advance, then run the stepping task."""
    test_clocks.advance_test_clock(clock.id, {"frozen_time": to_unix(to)}, livemode=False)
    test_clocks.run_advance(clock.id)
    clock.refresh_from_db()
    assert (clock.status, clock.frozen_time) == (TestClock.Status.READY, to)


def deliver() -> int:
    """Send everything due now, as the worker's email job does (batch after batch)."""
    total = 0
    while sent := send_due_emails(50):
        total += sent
    return total


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
