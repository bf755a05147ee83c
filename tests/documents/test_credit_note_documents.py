"""A credit note's document (適格返還請求書) through its public link: the ``pdf`` of every credit
note, the route that serves it, the hosted invoice page that lists the invoice's notes, and the
worker rendering new notes' documents ahead of time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from api_support import ApiClient, api_key
from seikyu.account.services import update_account_settings
from seikyu.billing.links import credit_note_token, invoice_token
from seikyu.billing.models import Customer, Invoice
from seikyu.documents.models import Document
from seikyu.documents.services import render_pending_documents

from .conftest import REGISTRATION, Rates, compact, pdf_text


@pytest.fixture
def api(db: None) -> ApiClient:
    return ApiClient(api_key())


@pytest.fixture
def invoice(
    business: dict[str, Any], rates: Rates, customer: Customer, make_invoice: Callable[..., Invoice]
) -> Invoice:
    """Open: ¥12,000 at 10 % and 2 × ¥1,500 at the reduced 8 % (¥16,440)."""
    return make_invoice(
        customer, [("クラウド会計プラン", 12000, rates.standard), ("お弁当セット", 1500, rates.reduced, 2)]
    )


def issue(api: ApiClient, invoice: Invoice, **params: Any) -> dict[str, Any]:
    """A credit note of ¥6,000 of the 10 % line and one of the two 8 % items: ¥8,220 with tax."""
    standard, reduced = invoice.lines.order_by("position")
    lines = [
        {"type": "invoice_line_item", "invoice_line_item": standard.id, "amount": 6000},
        {"type": "invoice_line_item", "invoice_line_item": reduced.id, "quantity": 1},
    ]
    return api.ok("POST", "/v1/credit_notes", {"invoice": invoice.id, "lines": lines, **params})


def issue_amount(api: ApiClient, invoice: Invoice, amount: int) -> dict[str, Any]:
    """A credit note of ``amount`` without lines (one untaxed line)."""
    return api.ok("POST", "/v1/credit_notes", {"invoice": invoice.id, "amount": amount})


def fetch(client: Client, url: str, **query: str) -> bytes:
    response = client.get(urlsplit(url).path, query)
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    return bytes(response.content)


def test_every_credit_note_links_its_document(api, client, invoice):
    note = issue(api, invoice, reason="order_change", memo="ご注文内容の変更に伴う返金です。")

    assert note["pdf"] == f"http://testserver/cn/{credit_note_token(note['id'])}/pdf"
    assert api.ok("GET", f"/v1/credit_notes/{note['id']}")["pdf"] == note["pdf"]
    assert api.ok("GET", "/v1/credit_notes", {"invoice": invoice.id})["data"][0]["pdf"] == note["pdf"]

    text = compact(pdf_text(fetch(client, note["pdf"])))
    for part in (
        "適格返還請求書",
        f"登録番号{REGISTRATION}",
        f"返還請求書番号{note['number']}",
        f"元の請求書番号{invoice.number}",
        "株式会社テスト商事御中",
        "お弁当セット※",
        "10%対象¥6,000¥600",
        "8%対象（軽減税率）¥1,500¥120",
        "返還金額¥8,220（税込）",
        "注文内容の変更",
    ):
        assert part in text, part
    english = compact(pdf_text(fetch(client, note["pdf"], lang="en")))
    assert "Creditnote" in english and note["number"] in english
    assert f"Originalinvoice{invoice.number}" in english and "8%(reduced)¥1,500¥120" in english


def test_a_voided_note_keeps_its_document(api, client, invoice):
    note = issue(api, invoice)
    first = fetch(client, note["pdf"])
    voided = api.ok("POST", f"/v1/credit_notes/{note['id']}/void")
    assert (voided["status"], voided["pdf"]) == ("void", note["pdf"])
    assert fetch(client, note["pdf"]) == first


def test_only_a_genuine_credit_note_token_opens_a_document(api, client, invoice):
    note = issue(api, invoice)
    token = credit_note_token(note["id"])
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(f"/cn/{forged}/pdf").status_code == 404
    assert client.get(f"/cn/{token.replace(note['id'], invoice.id)}/pdf").status_code == 404
    # Tokens are salted per kind: an invoice's link opens no credit note, and the other way round.
    assert client.get(f"/cn/{invoice_token(invoice.id)}/pdf").status_code == 404
    assert client.get(f"/i/{token}").status_code == 404
    assert not Document.objects.filter(kind="credit_note").exists()


def test_the_document_never_changes_once_issued(api, client, invoice, business):
    """Its bytes stay the same after the account settings change; a note first rendered after
    the change still shows the issuer as it was when the note was issued."""
    shown = issue(api, invoice)
    unseen = issue_amount(api, invoice, 100)
    before = fetch(client, shown["pdf"])

    update_account_settings({"business": {"name": "改名後株式会社", "registration_number": None}})

    assert fetch(client, shown["pdf"]) == before
    assert Document.objects.filter(object_id=shown["id"]).count() == 1
    text = compact(pdf_text(fetch(client, unseen["pdf"])))
    assert compact(business["business"]["name"]) in text and f"登録番号{REGISTRATION}" in text
    assert "改名後株式会社" not in text


def test_the_hosted_invoice_page_lists_the_credit_notes(api, client, invoice):
    kept = issue(api, invoice)
    voided = api.ok("POST", f"/v1/credit_notes/{issue_amount(api, invoice, 500)['id']}/void")
    html = client.get(f"/i/{invoice_token(invoice.id)}").content.decode()

    assert "返還請求書（クレジットノート）" in html
    assert kept["number"] in html and "¥8,220" in html
    assert voided["number"] in html and "（無効）" in html
    for note in (kept, voided):
        link = f"/cn/{credit_note_token(note['id'])}/pdf?lang=ja"
        assert f'href="{link}"' in html
        assert pdf_text(fetch(client, link)).count(note["number"]) >= 1
    english = client.get(f"/i/{invoice_token(invoice.id)}", {"lang": "en"}).content.decode()
    assert "Credit notes" in english and "(void)" in english


def test_the_worker_renders_new_credit_notes_ahead_of_time(api, invoice, make_customer, make_invoice, rates):
    jane = make_customer(name="Jane Doe", preferred_locales=["en"])
    theirs = make_invoice(jane, [("Seats", 3000, rates.standard)])
    while render_pending_documents(limit=20):  # the invoices' own PDFs first
        pass

    def pending_queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            made = render_pending_documents(limit=20)
        return made, len(queries)

    one = issue(api, invoice)
    made_one, queries_one = pending_queries()
    notes = [issue(api, invoice), *(issue_amount(api, theirs, amount) for amount in (100, 200, 300))]
    made_four, queries_four = pending_queries()

    assert (made_one, made_four) == (1, 4)
    # A batch is read and stored in a constant number of queries, whatever its size.
    assert queries_four == queries_one
    assert render_pending_documents(limit=20) == 0
    stored = {(d.object_id, d.locale) for d in Document.objects.filter(kind="credit_note")}
    assert stored == {(one["id"], "ja"), (notes[0]["id"], "ja"), *((n["id"], "en") for n in notes[1:])}
