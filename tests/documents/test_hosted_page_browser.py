"""The hosted invoice page in a real browser (Debian's Chromium through Playwright) against a
live server: reading it on a desktop and a phone, paying by card, a decline, switching language.
Screenshots go to $SEIKYU_SCREENSHOTS (or the test's temporary directory)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from seikyu.account.services import create_file, update_account_settings
from seikyu.billing.links import invoice_token
from seikyu.billing.models import Invoice, PaymentMethod

from .conftest import png

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop in this thread, which Django takes for async code:
    # the test's own database calls are synchronous, so say so while the browser is open.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    directory = Path(os.environ.get("SEIKYU_SCREENSHOTS") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def open_invoice(browser: Browser, live_server, invoice: Invoice, **context) -> Page:
    page = browser.new_context(**context).new_page()
    page.goto(f"{live_server.url}/i/{invoice_token(invoice.id)}")
    return page


@pytest.fixture
def card_invoice(business, rates, customer, make_invoice) -> Invoice:
    return make_invoice(customer, [("クラウド会計プラン", 12000, rates.standard), ("お弁当", 1000, rates.reduced, 3)])


@pytest.fixture
def branded(business: Any) -> None:
    """A logo and colours, set before the invoice is finalized (the invoice keeps the issuer as it was)."""
    logo = create_file(
        purpose="business_logo", filename="logo.png", content=png(160, 40, (11, 110, 79)), livemode=False
    )
    update_account_settings({"branding": {"logo": logo.id, "brand_color": "#0B6E4F", "accent_color": "#EAF5F0"}})


def test_reading_a_bank_transfer_invoice_on_desktop_and_phone(browser, live_server, branded, mixed_invoice, shots):
    page = open_invoice(browser, live_server, mixed_invoice, viewport={"width": 1280, "height": 900})
    expect(page.get_by_role("img", name="株式会社請求テック")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(mixed_invoice.number)
    expect(page.get_by_test_id("amount")).to_have_text("¥49,440")
    expect(page.get_by_text("お振込先")).to_be_visible()
    expect(page.get_by_text("ｶ)ｾｲｷﾕｳﾃﾂｸ")).to_be_visible()
    page.screenshot(path=shots / "hosted-bank-desktop.png", full_page=True)

    phone = open_invoice(browser, live_server, mixed_invoice, viewport={"width": 390, "height": 844}, is_mobile=True)
    expect(phone.get_by_test_id("status")).to_have_text("未払い")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways on a phone"
    phone.screenshot(path=shots / "hosted-bank-phone.png", full_page=True)

    with page.expect_response(lambda r: r.url.endswith("/pdf?lang=ja")) as pdf:
        page.get_by_role("link", name="請求書をダウンロード（PDF）").click()
    assert pdf.value.headers["content-type"] == "application/pdf"


def test_paying_by_card_in_the_browser(browser, live_server, card_invoice, shots):
    page = open_invoice(browser, live_server, card_invoice, viewport={"width": 1280, "height": 900})
    page.screenshot(path=shots / "hosted-card-open.png", full_page=True)
    page.get_by_label("カード番号").fill("4242 4242 4242 4242")
    page.get_by_label("有効期限（MM/YY）").fill("12/30")
    page.get_by_label("セキュリティコード").fill("123")
    page.get_by_role("button", name="¥16,440 を支払う").click()
    expect(page.get_by_role("status")).to_have_text("お支払いありがとうございました。")
    expect(page.get_by_test_id("status")).to_have_text("お支払い済み")
    expect(page.get_by_role("link", name="領収書をダウンロード（PDF）")).to_be_visible()
    page.screenshot(path=shots / "hosted-card-paid.png", full_page=True)
    card_invoice.refresh_from_db()
    assert card_invoice.status == "paid"


def test_a_decline_in_the_browser_is_explained_in_english(browser, live_server, card_invoice, shots):
    page = open_invoice(browser, live_server, card_invoice, viewport={"width": 1280, "height": 900})
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Invoice")
    page.get_by_label("Card number").fill("4000 0000 0000 9995")
    page.get_by_label("Expiry (MM/YY)").fill("12/30")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name="Pay ¥16,440").click()
    expect(page.get_by_role("alert")).to_contain_text("insufficient funds")
    expect(page.get_by_test_id("status")).to_have_text("Due")
    page.screenshot(path=shots / "hosted-card-declined-en.png", full_page=True)
    card_invoice.refresh_from_db()
    assert (card_invoice.status, card_invoice.attempt_count) == ("open", 0)
    assert not PaymentMethod.objects.exists()
