"""The invoice and receipt PDFs: every qualified-invoice field is there, in Japanese and English,
the per-rate totals are exactly the invoice's, long invoices page properly, and the files are
PDF/A-2b with the font embedded."""

from __future__ import annotations

import io
import re

import pypdf
import pytest

from seikyu.billing.services.customers import update_customer
from seikyu.billing.services.invoices import pay_invoice
from seikyu.documents.services import document_for

from .conftest import REGISTRATION, compact, pdf_text


def test_japanese_invoice_has_every_qualified_invoice_field(mixed_invoice):
    invoice = mixed_invoice
    assert invoice.subtotal == 45000 and invoice.total == 49440
    document = document_for(invoice, "invoice")
    assert (document.locale, document.kind, document.amount, document.number) == (
        "ja",
        "invoice",
        49440,
        invoice.number,
    )
    text = compact(pdf_text(bytes(document.pdf)))

    # (1) issuer and registration number
    assert "株式会社請求テック" in text
    assert f"登録番号{REGISTRATION}" in text
    # invoice number, issue date, transaction date, due date (30 days later), all in Tokyo time
    assert f"請求書番号{invoice.number}" in text
    assert "発行日2026年4月1日" in text
    assert "取引日2026年4月1日" in text
    assert "お支払期限2026年5月1日" in text
    # (3) lines with the reduced-rate mark and its legend
    assert "クラウド会計プラン（4月分）" in text
    assert "お弁当セット※" in text
    assert "導入サポート※" not in text
    assert "※は軽減税率対象" in text
    # (4)(5) totals and tax per rate, exactly the invoice's total_taxes
    by_rate = {tax["taxable_amount"]: tax["amount"] for tax in invoice.total_taxes}
    assert by_rate == {42000: 4200, 3000: 240}
    assert "10%対象¥42,000¥4,200" in text
    assert "8%対象（軽減税率）¥3,000¥240" in text
    assert "小計¥45,000" in text and "消費税¥4,440" in text and "合計¥49,440" in text
    assert "ご請求金額¥49,440（税込）" in text
    # (6) recipient, as a company (御中), with its address
    assert "株式会社テスト商事御中" in text
    assert "〒530-0001" in text
    # memo, footer, bank transfer block (send_invoice), support details, test-mode mark
    assert "4月分のご請求です。" in text
    assert "いつもご利用いただきありがとうございます。" in text
    for part in ("お振込先", "みずほ銀行", "渋谷支店（123）", "普通", "1234567", "ｶ)ｾｲｷﾕｳﾃﾂｸ"):
        assert part in text
    assert "TEL03-1234-5678" in text and "billing@seikyu.example" in text
    assert "テストモード" in text
    assert "1/1" in text


def test_english_invoice_says_the_same_in_english(mixed_invoice, customer):
    update_customer(customer.id, {"preferred_locales": ["en-US"]}, livemode=False)
    mixed_invoice.customer.refresh_from_db()
    document = document_for(mixed_invoice, "invoice")
    assert document.locale == "en"
    text = compact(pdf_text(bytes(document.pdf)))
    for part in (
        "Invoice",
        "SeikyuTechK.K.",
        f"Registrationnumber{REGISTRATION}",
        f"Invoicenumber{mixed_invoice.number}",
        "DateofissueApril1,2026",
        "DatedueMay1,2026",
        "2-21-1Shibuya",
        "お弁当セット※",
        "※Subjecttothereducedtaxrate",
        "10%¥42,000¥4,200",
        "8%(reduced)¥3,000¥240",
        "Total¥49,440",
        "Amountdue¥49,440",
        "Paybybanktransferto",
        "Ordinary(futsu)",
        "TESTMODE",
    ):
        assert part in text, part
    assert "御中" not in text


def test_charge_automatically_invoice_names_the_card_payment_and_statement_descriptor(
    business, rates, customer, make_invoice
):
    invoice = make_invoice(customer, [("Seikyu Pro", 5000, rates.standard)])
    text = compact(pdf_text(bytes(document_for(invoice, "invoice").pdf)))
    assert "お支払期限カードにて自動決済" in text
    assert "カード明細の表記SEIKYUTECH" in text
    assert "お振込先" not in text
    assert "10%対象¥5,000¥500" in text
    assert "※" not in text  # no reduced-rate line, so no mark and no legend


def test_subscription_lines_print_the_product_and_the_service_period(business, rates, customer, product_price):
    from seikyu.billing.services.invoice_items import create_invoice_item
    from seikyu.billing.services.invoices import create_manual_invoice, finalize_invoice

    price = product_price(3000, name="Seikyu Standard")
    create_invoice_item(
        {
            "customer": customer.id,
            "pricing": {"price": price.id},
            "quantity": 3,
            "tax_rates": [rates.standard.id],
            "period": {"start": 1775001600, "end": 1777593600},  # 2026-04-01 .. 2026-05-01 00:00 UTC
        },
        livemode=False,
    )
    invoice = finalize_invoice(create_manual_invoice({"customer": customer.id}, livemode=False))
    text = compact(pdf_text(bytes(document_for(invoice, "invoice").pdf)))
    assert "SeikyuStandard" in text
    assert "3¥3,000¥9,000" in text
    assert "取引期間2026年4月1日〜2026年5月1日" in text


def test_receipt_for_a_card_payment(business, rates, make_customer, make_invoice):
    from seikyu.billing.services.customers import update_customer
    from seikyu.billing.services.payment_methods import attach_payment_method

    customer = make_customer(name="山田 太郎")
    card = attach_payment_method("pm_card_visa", customer, livemode=False)
    update_customer(customer.id, {"invoice_settings": {"default_payment_method": card.id}}, livemode=False)
    invoice = make_invoice(customer, [("会費", 10000, rates.standard), ("お菓子", 1000, rates.reduced)], finalize=False)
    invoice = pay_invoice(invoice)
    assert invoice.status == "paid"
    with pytest.raises(Exception, match="not paid"):
        document_for(
            make_invoice(customer, [("x", 100, rates.standard)], collection_method="send_invoice", days_until_due=7),
            "receipt",
        )

    document = document_for(invoice, "receipt")
    assert (document.kind, document.amount) == ("receipt", 12080)
    text = compact(pdf_text(bytes(document.pdf)))
    assert "領収書" in text
    assert "山田太郎様" in text
    assert "領収金額¥12,080（税込）" in text
    assert f"但しご利用料金（請求書番号{invoice.number}）として" in text
    assert "上記正に領収いたしました。" in text
    assert "お支払日2026年4月1日" in text
    assert "お支払方法Visa••••4242" in text
    assert "10%対象¥10,000¥1,000" in text and "8%対象（軽減税率）¥1,000¥80" in text
    assert f"登録番号{REGISTRATION}" in text and "株式会社請求テック" in text


def test_receipt_for_an_invoice_paid_out_of_band_in_english(business, rates, make_customer, make_invoice):
    customer = make_customer(name="Acme Inc.", preferred_locales=["en"])
    invoice = pay_invoice(
        make_invoice(
            customer, [("Consulting", 20000, rates.standard)], collection_method="send_invoice", days_until_due=14
        ),
        paid_out_of_band=True,
    )
    text = compact(pdf_text(bytes(document_for(invoice, "receipt").pdf)))
    assert "Receipt" in text and "Acme Inc." in pdf_text(bytes(document_for(invoice, "receipt").pdf))
    assert "Amountreceived¥22,000" in text
    assert "PaymentmethodBanktransferorother" in text
    assert "10%¥20,000¥2,000" in text
    assert f"Registrationnumber{REGISTRATION}" in text


def test_a_300_line_invoice_spans_pages_with_repeated_headers_and_page_numbers(business, rates, customer, make_invoice):
    items = [(f"明細 {n:03d}", 1000, rates.reduced if n % 5 == 0 else rates.standard) for n in range(1, 301)]
    invoice = make_invoice(customer, items, collection_method="send_invoice", days_until_due=30)
    pdf = bytes(document_for(invoice, "invoice").pdf)
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    total = len(pages)
    assert total >= 4
    for number, page in enumerate(pages, start=1):
        text = compact(page.extract_text())
        assert f"{number}/{total}" in text, f"page {number} has no page number"
        if number < total:
            assert "品目数量単価金額（税抜）" in text, f"page {number} does not repeat the table header"
    everything = compact(pdf_text(pdf))
    assert all(f"明細{n:03d}" in everything for n in range(1, 301))
    assert "明細005※" in everything and "明細004※" not in everything
    # 240 lines at 10 % and 60 at 8 %: the per-rate totals close the last page.
    last = compact(pages[-1].extract_text())
    assert "10%対象¥240,000¥24,000" in last and "8%対象（軽減税率）¥60,000¥4,800" in last
    assert "合計¥328,800" in last


def test_pdfs_are_pdf_a_2b_with_the_japanese_font_embedded(mixed_invoice):
    pdf = bytes(document_for(mixed_invoice, "invoice").pdf)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert re.search(r"<pdfaid:part>2</pdfaid:part>|pdfaid:part=\"2\"", xmp)
    assert re.search(r"<pdfaid:conformance>B</pdfaid:conformance>|pdfaid:conformance=\"B\"", xmp)
    assert reader.trailer["/Root"].get("/OutputIntents")
    assert reader.metadata.title == f"請求書 {mixed_invoice.number}"
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), font["/BaseFont"]
            fonts.add(str(font["/BaseFont"]))
    assert any("NotoSansCJKjp" in name or "NotoSansCJK" in name for name in fonts), fonts
