"""The hosted invoice page with Django's test client: what it shows, the PDFs it serves, card
payment (success, declines, bad input — nothing changes on error), bank instructions, CSRF."""

from __future__ import annotations

import pytest
from django.test import Client

from seikyu.billing.links import hosted_invoice_url, invoice_token
from seikyu.billing.models import Charge, Invoice, PaymentIntent, PaymentMethod
from seikyu.billing.services.customers import update_customer
from seikyu.billing.services.invoices import pay_invoice, void_invoice
from seikyu.documents.models import Document

from .conftest import compact, pdf_text


def page_path(invoice: Invoice) -> str:
    return f"/i/{invoice_token(invoice.id)}"


@pytest.fixture
def charge_invoice(business, rates, customer, make_invoice) -> Invoice:
    """An open charge_automatically invoice whose customer has no card: the customer pays here."""
    return make_invoice(customer, [("クラウド会計プラン", 12000, rates.standard), ("お弁当", 1000, rates.reduced)])


def test_the_page_shows_the_invoice_in_the_customers_language(client: Client, mixed_invoice):
    assert hosted_invoice_url(mixed_invoice.id) == f"http://testserver{page_path(mixed_invoice)}"
    response = client.get(page_path(mixed_invoice))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store" and response["Referrer-Policy"] == "same-origin"
    html = response.content.decode()
    assert '<html lang="ja">' in html
    for part in (
        "株式会社請求テック",
        mixed_invoice.number,
        "未払い",
        "¥49,440",
        "お支払期限",
        "2026年5月1日",
        "お弁当セット",
        "※は軽減税率対象",
        "10%対象",
        "8%対象（軽減税率）",
        "¥4,200",
        "¥240",
        "登録番号 T7000012050002",
        "請求書をダウンロード（PDF）",
        "お振込先",
        "みずほ銀行",
        "ｶ)ｾｲｷﾕｳﾃﾂｸ",
        "カードでお支払い",
        "テストモード",
    ):
        assert part in html, part
    assert "領収書をダウンロード" not in html

    english = client.get(page_path(mixed_invoice), {"lang": "en"}).content.decode()
    assert '<html lang="en">' in english and "Amount due" in english and "Pay by bank transfer to" in english
    update_customer(mixed_invoice.customer_id, {"preferred_locales": ["en-GB"]}, livemode=False)
    assert "Download invoice (PDF)" in client.get(page_path(mixed_invoice)).content.decode()


def test_unknown_forged_and_draft_invoices_are_not_found(client: Client, business, rates, customer, make_invoice):
    draft = make_invoice(customer, [("x", 100, rates.standard)], finalize=False)
    assert client.get(page_path(draft)).status_code == 404
    assert client.get("/i/in_forged:0123456789abcdef").status_code == 404
    assert client.get(page_path(draft)[:-2] + "xx/pdf").status_code == 404


def test_pdf_download_is_the_stored_document(client: Client, mixed_invoice):
    response = client.get(page_path(mixed_invoice) + "/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    stored = Document.objects.get(object_id=mixed_invoice.id, kind="invoice", locale="ja")
    assert response.content == bytes(stored.pdf) and response["ETag"] == f'"{stored.sha256}"'
    english = client.get(page_path(mixed_invoice) + "/pdf", {"lang": "en"})
    assert "Invoice" in pdf_text(english.content)
    assert client.get(page_path(mixed_invoice) + "/receipt").status_code == 404


def test_paying_by_card_pays_the_invoice_and_offers_the_receipt(client: Client, charge_invoice):
    path = page_path(charge_invoice)
    response = client.post(path + "/pay", {"number": "4242 4242 4242 4242", "expiry": "12 / 30", "cvc": "123"})
    assert response.status_code == 302 and response["Location"] == f"{path}?lang=ja&paid=1"
    charge_invoice.refresh_from_db()
    assert (charge_invoice.status, charge_invoice.amount_paid, charge_invoice.amount_remaining) == ("paid", 14280, 0)
    card = PaymentMethod.objects.get(customer=charge_invoice.customer)
    assert (card.card_brand, card.card_last4) == ("visa", "4242")

    html = client.get(response["Location"]).content.decode()
    assert "お支払いありがとうございました。" in html and "お支払い済み" in html
    assert "カードでお支払い" not in html and "領収書をダウンロード（PDF）" in html
    receipt = client.get(path + "/receipt")
    assert receipt.status_code == 200
    text = compact(pdf_text(receipt.content))
    assert "領収金額¥14,280" in text and "Visa••••4242" in text


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("4000000000000002", "カードが承認されませんでした。"),  # declined when the card is attached
        ("4000000000009995", "ご利用可能額が不足"),  # declined when charged
        ("4000000000000069", "有効期限が切れています"),
        ("4000000000000127", "セキュリティコードが正しくありません"),
        ("4242424242424241", "カード番号が正しくありません"),
        ("4000002760003184", "本人認証が必要"),
    ],
)
def test_a_declined_card_is_explained_and_changes_nothing(client: Client, charge_invoice, number, expected):
    before = Invoice.objects.filter(pk=charge_invoice.pk).values().get()
    response = client.post(page_path(charge_invoice) + "/pay", {"number": number, "expiry": "12/30", "cvc": "123"})
    assert response.status_code in (400, 402)
    html = response.content.decode()
    assert expected in html and 'role="alert"' in html
    assert Invoice.objects.filter(pk=charge_invoice.pk).values().get() == before
    assert not PaymentMethod.objects.exists()
    assert not PaymentIntent.objects.exists() and not Charge.objects.exists()


def test_incomplete_card_details_are_refused_before_anything_happens(client: Client, charge_invoice):
    response = client.post(
        page_path(charge_invoice) + "/pay", {"number": "4242424242424242", "expiry": "13", "cvc": "1"}
    )
    assert response.status_code == 400 and "有効期限が正しくありません" in response.content.decode()
    response = client.post(page_path(charge_invoice) + "/pay", {"number": "", "expiry": "", "cvc": ""})
    assert response.status_code == 400 and "入力内容をご確認ください。" in response.content.decode()
    charge_invoice.refresh_from_db()
    assert charge_invoice.status == "open" and not PaymentMethod.objects.exists()


def test_paid_and_void_invoices_cannot_be_paid_again(client: Client, charge_invoice, mixed_invoice):
    pay_invoice(mixed_invoice, paid_out_of_band=True)
    void_invoice(charge_invoice)
    for invoice in (mixed_invoice, charge_invoice):
        html = client.get(page_path(invoice)).content.decode()
        assert "カードでお支払い" not in html and "お振込先" not in html
        response = client.post(
            page_path(invoice) + "/pay", {"number": "4242424242424242", "expiry": "12/30", "cvc": "1"}
        )
        assert response.status_code == 409
    assert "この請求書は無効になりました" in client.get(page_path(charge_invoice)).content.decode()
    assert not PaymentMethod.objects.exists()


def test_the_payment_form_is_csrf_protected(charge_invoice):
    strict = Client(enforce_csrf_checks=True)
    refused = strict.post(
        page_path(charge_invoice) + "/pay", {"number": "4242424242424242", "expiry": "12/30", "cvc": "1"}
    )
    assert refused.status_code == 403
    page = strict.get(page_path(charge_invoice))
    token = page.context["csrf_token"]
    accepted = strict.post(
        page_path(charge_invoice) + "/pay",
        {"number": "4242424242424242", "expiry": "12/30", "cvc": "123", "csrfmiddlewaretoken": str(token)},
    )
    assert accepted.status_code == 302
    charge_invoice.refresh_from_db()
    assert charge_invoice.status == "paid"


def test_live_invoices_offer_no_card_form_while_only_the_sandbox_exists(client: Client, business):
    from seikyu.billing.services.customers import create_customer
    from seikyu.billing.services.invoice_items import create_invoice_item
    from seikyu.billing.services.invoices import create_manual_invoice, finalize_invoice

    customer = create_customer({"name": "本番商事株式会社"}, livemode=True)
    create_invoice_item({"customer": customer.id, "amount": 5000, "currency": "jpy"}, livemode=True)
    invoice = finalize_invoice(
        create_manual_invoice(
            {"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 14}, livemode=True
        )
    )
    html = client.get(page_path(invoice)).content.decode()
    assert "カードでお支払い" not in html and "テストモード" not in html
    assert "カードではお支払いいただけません" in html and "お振込先" in html
    refused = client.post(page_path(invoice) + "/pay", {"number": "4242424242424242", "expiry": "12/30", "cvc": "123"})
    assert refused.status_code == 409 and not PaymentMethod.objects.exists()
