"""Issued documents are stored once and never change: same bytes and hash after the settings
change, refused updates and deletes (in the ORM and in the database), deterministic rendering,
the worker's pre-rendering, and the credit note renderer fed with plain data."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from seikyu.account.services import create_file, update_account_settings
from seikyu.billing.services.invoices import pay_invoice
from seikyu.documents.content import CreditNoteData, Line, TaxRow
from seikyu.documents.models import Document, WriteOnce
from seikyu.documents.services import (
    credit_note_document,
    document_for,
    invoice_document_content,
    render_pending_documents,
    search_documents,
)
from seikyu.documents.typesetting import typeset

from .conftest import NOW, REGISTRATION, compact, pdf_text, png


def test_a_finalized_invoices_pdf_never_changes_after_the_settings_do(mixed_invoice):
    first = document_for(mixed_invoice, "invoice")
    pdf, digest = bytes(first.pdf), first.sha256
    assert digest == hashlib.sha256(pdf).hexdigest()

    update_account_settings(
        {
            "business": {"name": "新社名株式会社", "address": None},
            "branding": {"brand_color": "#AA0000"},
            "bank_transfer": None,
            "invoice_defaults": {"footer": "新しいフッター"},
        }
    )
    mixed_invoice.refresh_from_db()
    again = document_for(mixed_invoice, "invoice")
    assert (again.id, again.sha256, bytes(again.pdf)) == (first.id, digest, pdf)
    assert Document.objects.filter(object_id=mixed_invoice.id).count() == 1
    assert "株式会社請求テック" in compact(pdf_text(bytes(again.pdf)))
    # Another language is another document, rendered from the settings of the day.
    english = document_for(mixed_invoice, "invoice", "en")
    assert english.id != first.id and "SeikyuTechK.K." in compact(pdf_text(bytes(english.pdf)))


def test_documents_refuse_changes_in_the_orm_and_in_the_database(mixed_invoice):
    document = document_for(mixed_invoice, "invoice")
    document.amount = 1
    with pytest.raises(WriteOnce):
        document.save()
    with pytest.raises(WriteOnce):
        Document.objects.filter(id=document.id).update(amount=1)
    with pytest.raises(WriteOnce):
        document.delete()
    with pytest.raises(WriteOnce):
        Document.objects.filter(id=document.id).delete()
    with pytest.raises(DatabaseError, match="write-once"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE documents_document SET pdf = %s WHERE id = %s", [b"forged", document.id])
    document.refresh_from_db()
    assert (document.amount, document.sha256) == (49440, hashlib.sha256(bytes(document.pdf)).hexdigest())


def test_rendering_is_deterministic(mixed_invoice):
    content, issued_at, _ = invoice_document_content(mixed_invoice, "invoice", "ja")
    assert issued_at == NOW
    one, two = typeset(content, timestamp=issued_at), typeset(content, timestamp=issued_at)
    assert one == two
    assert bytes(document_for(mixed_invoice, "invoice").pdf) == one


def test_the_logo_is_drawn_from_the_uploaded_file(business, rates, customer, make_invoice):
    logo = create_file(purpose="business_logo", filename="logo.png", content=png(), livemode=False)
    update_account_settings({"branding": {"logo": logo.id, "brand_color": "#0B6E4F"}})
    invoice = make_invoice(customer, [("a", 1000, rates.standard)])
    pdf = bytes(document_for(invoice, "invoice").pdf)
    assert b"/Subtype /Image" in pdf or b"/Subtype/Image" in pdf


def test_documents_show_the_issuer_as_it_was_at_finalization(business, rates, customer, make_invoice):
    """Settings changed after an invoice was finalized do not reach its documents, even one
    rendered for the first time afterwards (the receipt, a PDF in another language)."""
    invoice = make_invoice(customer, [("a", 1000, rates.standard)])
    update_account_settings({"business": {"name": "改名後株式会社"}})
    text = compact(pdf_text(bytes(document_for(invoice, "invoice").pdf)))
    assert compact(business["business"]["name"]) in text
    assert "改名後株式会社" not in text


def test_drafts_have_no_document(business, rates, customer, make_invoice):
    draft = make_invoice(customer, [("x", 100, rates.standard)], finalize=False)
    with pytest.raises(Exception, match="draft"):
        document_for(draft, "invoice")
    assert not Document.objects.exists()


def test_the_worker_renders_new_invoices_and_receipts_ahead_of_time(business, rates, customer, make_invoice):
    sent = make_invoice(customer, [("a", 1000, rates.standard)], collection_method="send_invoice", days_until_due=7)
    paid = pay_invoice(
        make_invoice(customer, [("b", 2000, rates.reduced)], collection_method="send_invoice", days_until_due=7),
        paid_out_of_band=True,
    )
    make_invoice(customer, [("draft", 1, rates.standard)], finalize=False)

    assert render_pending_documents(limit=2) == 2
    assert render_pending_documents(limit=10) == 1
    assert render_pending_documents(limit=10) == 0
    stored = sorted(Document.objects.values_list("object_id", "kind", "locale"))
    assert stored == sorted([(sent.id, "invoice", "ja"), (paid.id, "invoice", "ja"), (paid.id, "receipt", "ja")])


@pytest.mark.django_db(transaction=True)
def test_two_processes_asking_at_once_store_one_document(business, rates, customer, make_invoice):
    if connection.vendor == "sqlite":
        pytest.skip("concurrent writers need PostgreSQL")
    invoice = make_invoice(customer, [("a", 1000, rates.standard)])
    barrier, results = threading.Barrier(4), []

    def ask() -> None:
        try:
            barrier.wait()
            results.append(document_for(invoice, "invoice").id)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and len(set(results)) == 1
    assert Document.objects.filter(object_id=invoice.id).count() == 1


def test_search_by_date_amount_and_customer(business, rates, make_customer, make_invoice, frozen_real_time):
    from seikyu.core.clock import pinned

    alice, bob = make_customer(name="Alice"), make_customer(name="株式会社ボブ")
    made = {}
    for day, (who, amount) in enumerate([(alice, 1000), (bob, 5000), (alice, 20000)]):
        with pinned(NOW + dt.timedelta(days=day)):
            made[day] = document_for(make_invoice(who, [("x", amount, None)]), "invoice")
    livemode = False

    def found(**query):
        return {d.id for d in search_documents(livemode=livemode, **query)}

    assert found(customer_id=alice.id) == {made[0].id, made[2].id}
    assert found(amount_min=2000) == {made[1].id, made[2].id}
    assert found(amount_min=1000, amount_max=5000) == {made[0].id, made[1].id}
    assert found(issued_from=NOW + dt.timedelta(days=1)) == {made[1].id, made[2].id}
    assert found(issued_until=NOW + dt.timedelta(hours=12), customer_id=alice.id) == {made[0].id}
    assert found(customer_id=alice.id, amount_min=5000) == {made[2].id}
    livemode = True
    assert found() == set()


def credit_note(**overrides) -> CreditNoteData:
    data = dict(
        id="cn_test_1",
        number="TESTSHOJI-0001-CN-01",
        livemode=False,
        customer_id="",
        customer_name="株式会社テスト商事",
        currency="jpy",
        issued_at=dt.datetime(2026, 4, 20, 3, 0, tzinfo=dt.UTC),
        invoice_number="TESTSHOJI-0001",
        invoice_date=dt.datetime(2026, 4, 1, 0, 30, tzinfo=dt.UTC),
        lines=[
            Line("クラウド会計プラン（4月分） 一部返金", 6000, 1, 6000),
            Line("お弁当セット 返品", 1500, 1, 1500, reduced=True),
        ],
        taxes=[
            TaxRow(Decimal("10"), taxable_amount=6000, tax_amount=600),
            TaxRow(Decimal("8"), taxable_amount=1500, tax_amount=120, reduced=True),
        ],
        total=8220,
        reason="order_change",
        memo="ご注文内容の変更に伴う返金です。",
    )
    data.update(overrides)
    return CreditNoteData(**data)


def test_credit_note_is_a_qualified_return_invoice(business, customer):
    document = credit_note_document(credit_note(customer_id=customer.id))
    assert (document.kind, document.locale, document.amount) == ("credit_note", "ja", 8220)
    text = compact(pdf_text(bytes(document.pdf)))
    for part in (
        "適格返還請求書",
        "株式会社請求テック",
        f"登録番号{REGISTRATION}",
        "返還請求書番号TESTSHOJI-0001-CN-01",
        "返還日2026年4月20日",
        "元の請求書番号TESTSHOJI-0001",
        "元の取引日2026年4月1日",
        "株式会社テスト商事御中",
        "お弁当セット返品※",
        "※は軽減税率対象",
        "10%対象¥6,000¥600",
        "8%対象（軽減税率）¥1,500¥120",
        "返還金額¥8,220（税込）",
        "注文内容の変更",
        "ご注文内容の変更に伴う返金です。",
    ):
        assert part in text, part
    assert credit_note_document(credit_note(customer_id=customer.id)).id == document.id

    english = credit_note_document(credit_note(customer_id=customer.id), "en")
    text = compact(pdf_text(bytes(english.pdf)))
    for part in ("Creditnote", "OriginalinvoiceTESTSHOJI-0001", "Originaldateofsupply", "8%(reduced)¥1,500¥120"):
        assert part in text, part
