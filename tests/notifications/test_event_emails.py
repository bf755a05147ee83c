"""Emails that events cause: receipts, failed payments, bank-transfer invoices, the team's alert."""

from __future__ import annotations

import datetime as dt
from typing import Any

from api_support import ApiClient, api_key
from seikyu.billing.models import CreditNote, Invoice
from seikyu.billing.services.credit_notes import create_credit_note
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


def _credit_first_line(invoice: Invoice, amount: int, **params: Any) -> CreditNote:
    line = invoice.lines.order_by("position").first()
    assert line is not None
    lines = [{"type": "invoice_line_item", "invoice_line_item": line.id, "amount": amount}]
    return create_credit_note({"invoice": invoice.id, "lines": lines, **params}, livemode=False)


def test_an_issued_credit_note_is_emailed_with_its_document(smtp, business, plans):
    jane = new_customer(None, email="jane@example.com", name="Jane Doe", locales=["en"])
    invoice = subscribe(jane, plans.monthly, plans.tax).latest_invoice
    deliver()  # the receipt

    # ¥2,000 + 10 % of a paid invoice: half back to the card, half onto the balance.
    note = _credit_first_line(invoice, 2000, refund_amount=1100, credit_amount=1100, reason="product_unsatisfactory")
    assert deliver() == 1

    [mail] = [m for m in smtp.to("jane@example.com") if m.subject.startswith("[TEST] Credit note")]
    assert mail.subject == f"[TEST] Credit note {note.number} for invoice {invoice.number}"
    text = mail.text()
    for part in (
        "Hello Jane Doe,",
        f"We've issued credit note {note.number} for ¥2,200 (tax included) against invoice {invoice.number}.",
        "¥1,100 is refunded to the card you paid with.",
        "¥1,100 has been added to your account credit",
        f"Original invoice: {invoice.number}",
        "Reason: Product unsatisfactory",
        "10% | ¥2,000 | ¥200",
    ):
        assert part in text, part
    assert "taken off what invoice" not in text and "separately" not in text
    html = mail.html()
    assert note.number in html and "¥2,200" in html and "¥200" in html
    [(name, pdf)] = mail.pdfs().items()
    assert name == f"credit-note-{note.number}.pdf"
    printed = "".join(pdf_text(pdf).split())
    assert "Creditnote" in printed and note.number in printed and f"Originalinvoice{invoice.number}" in printed
    email = OutboundEmail.objects.get(kind="credit_note_issued")
    assert (email.invoice_id, email.customer_id, email.status) == (invoice.id, jane.id, "sent")


def test_a_credit_note_email_is_in_japanese_and_says_what_was_taken_off(smtp, business, plans):
    company = new_customer(None, email="keiri@example.co.jp", name="株式会社テスト", card=None)
    invoice = subscribe(company, plans.monthly, plans.tax, collection_method="send_invoice", days_until_due=14)
    invoice = invoice.latest_invoice
    deliver()  # the invoice itself

    note = _credit_first_line(invoice, 1000)
    deliver()

    [mail] = [m for m in smtp.to("keiri@example.co.jp") if m.subject.startswith("[テスト] 返還請求書")]
    text = mail.text()
    assert "株式会社テスト 御中" in text
    assert f"¥1,100（税込）の返還請求書（クレジットノート）{note.number} を発行いたしました" in text
    assert f"¥1,100は、請求書 {invoice.number} のご請求額から差し引きました。" in text
    assert "10%対象 | ¥1,000 | ¥100" in text
    assert list(mail.pdfs()) == [f"返還請求書_{note.number}.pdf"]


def test_with_the_credit_note_email_off_nothing_is_sent(smtp, business, plans):
    api = ApiClient(api_key())
    settings = api.ok("GET", "/v1/account_settings")
    assert settings["customer_emails"]["credit_note_issued"] == {"enabled": True}
    api.ok("POST", "/v1/account_settings", {"customer_emails": {"credit_note_issued": {"enabled": False}}})
    taro = new_customer(None, email="taro@example.jp")
    invoice = subscribe(taro, plans.monthly, plans.tax).latest_invoice
    _credit_first_line(invoice, 1000, out_of_band_amount=1100)
    deliver()
    assert [m.subject for m in smtp.to("taro@example.jp") if "返還請求書" in m.subject] == []
    assert not OutboundEmail.objects.filter(kind="credit_note_issued").exists()


def test_a_credit_note_issued_with_email_type_none_is_not_emailed_and_the_next_one_is(smtp, business, plans):
    api = ApiClient(api_key())
    taro = new_customer(None, email="taro@example.jp")
    invoice = subscribe(taro, plans.monthly, plans.tax).latest_invoice
    deliver()  # the receipt
    line = invoice.lines.order_by("position").first()
    assert line is not None
    credit = {"invoice": invoice.id, "out_of_band_amount": 550}
    credit |= {"lines": [{"type": "invoice_line_item", "invoice_line_item": line.id, "amount": 500}]}
    quiet = api.ok("POST", "/v1/credit_notes", {**credit, "email_type": "none"})
    deliver()
    assert not OutboundEmail.objects.filter(kind="credit_note_issued").exists()
    told = api.ok("POST", "/v1/credit_notes", {**credit, "email_type": "credit_note"})
    deliver()
    [email] = OutboundEmail.objects.filter(kind="credit_note_issued")
    assert (email.context["number"], quiet["number"] != told["number"]) == (told["number"], True)
    assert len([m for m in smtp.to("taro@example.jp") if "返還請求書" in m.subject]) == 1


def test_an_unknown_email_type_is_refused_and_issues_nothing(business, plans):
    api = ApiClient(api_key())
    invoice = subscribe(new_customer(None, email="taro@example.jp"), plans.monthly, plans.tax).latest_invoice
    response = api.post("/v1/credit_notes", {"invoice": invoice.id, "amount": 100, "email_type": "sms"})
    assert (response.status, response.error["param"]) == (400, "email_type")
    assert not CreditNote.objects.exists()
