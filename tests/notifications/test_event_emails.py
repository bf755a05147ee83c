"""Emails that events cause: receipts, failed payments, bank-transfer invoices, the team's alert."""

from __future__ import annotations

import datetime as dt

from api_support import ApiClient, api_key
from seikyu.billing.models import Invoice
from seikyu.core.clock import pinned, real_now
from seikyu.notifications.models import OutboundEmail

from .conftest import DAY, HOUR, START, advance, deliver, new_clock, new_customer, pdf_text, subscribe, switch


def test_a_paid_first_invoice_sends_a_receipt_in_japanese_with_the_receipt_pdf(smtp, business, plans):
    customer = new_customer(None, email="taro@example.jp")
    sub = subscribe(customer, plans.monthly, plans.tax)
    assert deliver() == 1
    [mail] = smtp.to("taro@example.jp")
    assert "5,500" in mail.subject
    invoice = sub.latest_invoice
    pdfs = mail.pdfs()
    [(name, pdf)] = pdfs.items()
    assert name == f"領収書_{invoice.number}.pdf"
    assert pdf.startswith(b"%PDF")
    assert invoice.number in pdf_text(pdf)
    assert "山田太郎 様" in mail.text()
    email = OutboundEmail.objects.get()
    assert email.status == "sent"


def test_a_manual_bank_transfer_invoice_goes_out_on_each_send_and_not_on_a_bare_finalize(smtp, business):
    api = ApiClient(api_key())
    company = new_customer(None, email="keiri@example.co.jp", name="株式会社テスト", card=None)
    api.ok(
        "post",
        "/v1/invoiceitems",
        {"customer": company.id, "amount": 30000, "currency": "jpy", "description": "導入支援"},
    )
    invoice = api.ok(
        "post",
        "/v1/invoices",
        {"customer": company.id, "collection_method": "send_invoice", "days_until_due": 30, "auto_advance": False},
    )
    api.ok("post", f"/v1/invoices/{invoice['id']}/finalize", {})
    deliver()
    assert smtp.received == []
    with pinned(real_now() + dt.timedelta(minutes=5)):
        api.ok("post", f"/v1/invoices/{invoice['id']}/send", {})
        api.ok("post", f"/v1/invoices/{invoice['id']}/send", {})
        deliver()
    first, second = smtp.to("keiri@example.co.jp")
    assert first.subject == second.subject and "¥30,000" in first.text()
    assert list(first.pdfs()) == [f"請求書_{Invoice.objects.get(id=invoice['id']).number}.pdf"]


def test_a_send_invoice_renewal_is_emailed_once(smtp, business, plans):
    with pinned(START):
        clock = new_clock()
        company = new_customer(clock, email="keiri@example.co.jp", name="株式会社テスト", card=None)
        sub = subscribe(company, plans.monthly, plans.tax, collection_method="send_invoice", days_until_due=14)
        OutboundEmail.objects.update(status="sent", next_attempt_at=None)  # the first invoice's email
        switch(upcoming_renewal=False)
        advance(clock, START + 30 * DAY + 2 * HOUR)
        deliver()
    [renewal] = smtp.to("keiri@example.co.jp")
    invoice = sub.invoices.order_by("created").last()
    assert renewal.date() == invoice.finalized_at == START + 30 * DAY + HOUR
    assert invoice.number in renewal.subject


def test_a_failed_first_payment_without_any_card_says_there_is_none(smtp, business, plans):
    jane = new_customer(None, email="jane@example.com", name="Jane", locales=["en"], card=None)
    subscribe(jane, plans.monthly, plans.tax)
    deliver()
    [failed] = smtp.to("jane@example.com")
    assert "There is no card on file to charge." in failed.text()
    assert "We'll try the same card again" not in failed.text()
