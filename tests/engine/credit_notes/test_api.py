"""``/v1/credit_notes`` and ``/v1/customers/{id}/balance_transactions`` as the stripe SDK calls them."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api_support import ApiClient, api, live_api

__all__ = ["api", "live_api"]


@pytest.fixture
def jpy(api: ApiClient) -> dict[str, str]:
    standard = api.ok("POST", "/v1/tax_rates", {"display_name": "消費税", "percentage": "10", "inclusive": False})
    reduced = api.ok("POST", "/v1/tax_rates", {"display_name": "消費税（軽減）", "percentage": "8", "inclusive": False})
    customer = api.ok("POST", "/v1/customers", {"name": "株式会社返品", "payment_method": "pm_card_visa"})
    pm = api.ok("GET", f"/v1/customers/{customer['id']}/payment_methods")["data"][0]
    api.ok("POST", f"/v1/customers/{customer['id']}", {"invoice_settings": {"default_payment_method": pm["id"]}})
    return {"standard": standard["id"], "reduced": reduced["id"], "customer": customer["id"]}


def _invoice(api: ApiClient, jpy: dict[str, str], *, pay: bool) -> dict[str, Any]:
    """¥3,000 at 10 % and ¥1,000 at 8 %: ¥4,380, finalized (and paid by card)."""
    for amount, rate in ((3000, jpy["standard"]), (1000, jpy["reduced"])):
        api.ok(
            "POST",
            "/v1/invoiceitems",
            {"customer": jpy["customer"], "amount": amount, "currency": "jpy", "tax_rates": [rate]},
        )
    draft = api.ok("POST", "/v1/invoices", {"customer": jpy["customer"]})
    invoice = api.ok("POST", f"/v1/invoices/{draft['id']}/finalize")
    return api.ok("POST", f"/v1/invoices/{invoice['id']}/pay") if pay else invoice


def _lines(invoice: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "invoice_line_item", "invoice_line_item": line["id"]} for line in invoice["lines"]["data"]]


def test_issue_read_annotate_and_list(api, jpy):
    invoice = _invoice(api, jpy, pay=True)
    params = {"invoice": invoice["id"], "lines": _lines(invoice)[:1], "refund_amount": 3300, "reason": "order_change"}

    preview = api.ok("GET", "/v1/credit_notes/preview", params)
    note = api.ok("POST", "/v1/credit_notes", params)

    assert (note["object"], note["status"], note["type"], note["amount"], note["total"]) == (
        "credit_note",
        "issued",
        "post_payment",
        3300,
        3300,
    )
    assert (preview["amount"], preview["number"], preview["refunds"]) == (3300, note["number"], [])
    assert note["number"] == f"{invoice['number']}-CN-01"
    assert note["lines"]["url"] == f"/v1/credit_notes/{note['id']}/lines"
    [line] = note["lines"]["data"]
    assert (line["object"], line["amount"], line["invoice_line_item"], line["tax_rates"][0]["id"]) == (
        "credit_note_line_item",
        3000,
        invoice["lines"]["data"][0]["id"],
        jpy["standard"],
    )
    [refund_link] = note["refunds"]
    refund = api.ok("GET", f"/v1/refunds/{refund_link['refund']}")
    assert (refund["amount"], refund["reason"]) == (3300, "requested_by_customer")
    # The SDK reads it as its CreditNote.
    sdk_note = stripe.CreditNote.construct_from(note, "sk_test_x")
    assert (sdk_note.total, sdk_note.lines.data[0].amount) == (3300, 3000)

    assert api.ok("GET", f"/v1/credit_notes/{note['id']}") == note
    updated = api.ok("POST", f"/v1/credit_notes/{note['id']}", {"memo": "サイズ違い", "metadata": {"ticket": "42"}})
    assert (updated["memo"], updated["metadata"]) == ("サイズ違い", {"ticket": "42"})
    expanded = api.ok("GET", f"/v1/credit_notes/{note['id']}", {"expand": ["invoice", "refunds.refund"]})
    assert (expanded["invoice"]["object"], expanded["invoice"]["id"]) == ("invoice", invoice["id"])
    assert (expanded["refunds"][0]["refund"]["object"], expanded["refunds"][0]["refund"]["amount"]) == ("refund", 3300)

    listed = api.ok("GET", "/v1/credit_notes", {"invoice": invoice["id"]})
    assert [n["id"] for n in listed["data"]] == [note["id"]]
    assert api.ok("GET", "/v1/credit_notes", {"customer": "cus_nobody"})["data"] == []
    events = api.ok("GET", "/v1/events", {"type": "credit_note.updated"})["data"]
    assert events[0]["data"]["previous_attributes"] == {"memo": None, "metadata": {}}


def test_lines_and_preview_lines_page_in_order(api, jpy):
    invoice = _invoice(api, jpy, pay=False)
    custom = [{"type": "custom_line_item", "unit_amount": 10 * (n + 1), "description": f"#{n}"} for n in range(3)]
    partial = [{**line, "amount": amount} for line, amount in zip(_lines(invoice), (2000, 500), strict=True)]
    params = {"invoice": invoice["id"], "lines": partial + custom}

    preview_page = api.ok("GET", "/v1/credit_notes/preview/lines", {**params, "limit": 3})
    assert ([line["amount"] for line in preview_page["data"]], preview_page["has_more"]) == ([2000, 500, 10], True)

    note = api.ok("POST", "/v1/credit_notes", params)
    first = api.ok("GET", f"/v1/credit_notes/{note['id']}/lines", {"limit": 2})
    assert ([line["amount"] for line in first["data"]], first["has_more"]) == ([2000, 500], True)
    rest = api.ok("GET", f"/v1/credit_notes/{note['id']}/lines", {"starting_after": first["data"][-1]["id"]})
    assert ([line["description"] for line in rest["data"]], rest["has_more"]) == (["#0", "#1", "#2"], False)
    back = api.ok("GET", f"/v1/credit_notes/{note['id']}/lines", {"ending_before": rest["data"][0]["id"], "limit": 1})
    assert [line["amount"] for line in back["data"]] == [500]
    # ¥2,200 + ¥540 + ¥60 off the ¥4,380 owed.
    assert (note["type"], note["total"]) == ("pre_payment", 2800)
    assert api.ok("GET", f"/v1/invoices/{invoice['id']}")["amount_remaining"] == 1580


def test_void_through_the_api(api, jpy):
    invoice = _invoice(api, jpy, pay=False)
    note = api.ok("POST", "/v1/credit_notes", {"invoice": invoice["id"], "amount": 380})
    assert api.ok("GET", f"/v1/invoices/{invoice['id']}")["amount_remaining"] == 4000
    voided = api.ok("POST", f"/v1/credit_notes/{note['id']}/void")
    assert (voided["status"], voided["voided_at"] is not None) == ("void", True)
    assert api.ok("GET", f"/v1/invoices/{invoice['id']}")["amount_remaining"] == 4380
    again = api.post(f"/v1/credit_notes/{note['id']}/void")
    assert (again.status, again.error["code"]) == (400, "credit_note_already_voided")


def test_errors_are_stripe_errors_with_their_param(api, live_api, jpy):
    invoice = _invoice(api, jpy, pay=True)
    cases = [
        ({"invoice": invoice["id"], "amount": 4381, "credit_amount": 4381}, 400, "amount"),
        ({"invoice": invoice["id"], "amount": 100}, 400, "refund_amount"),
        ({"invoice": invoice["id"], "lines": [{"type": "custom_line_item"}]}, 400, "lines[0][unit_amount]"),
        ({"invoice": invoice["id"], "lines": [{"amount": 5}]}, 400, "lines[0][type]"),
        ({"invoice": invoice["id"], "amount": 1, "shipping_cost": {"shipping_rate": "shr_1"}}, 400, "shipping_cost"),
        ({"invoice": "in_nope", "amount": 1}, 404, "invoice"),
        ({"amount": 1}, 400, "invoice"),
    ]
    for params, status, param in cases:
        response = api.post("/v1/credit_notes", params)
        assert (response.status, response.error["param"]) == (status, param), params
    # Live keys don't see test-mode invoices or notes.
    response = live_api.post("/v1/credit_notes", {"invoice": invoice["id"], "amount": 1, "out_of_band_amount": 1})
    assert (response.status, response.error["code"]) == (404, "resource_missing")
    note = api.ok("POST", "/v1/credit_notes", {"invoice": invoice["id"], "amount": 1, "out_of_band_amount": 1})
    assert live_api.get(f"/v1/credit_notes/{note['id']}").status == 404
    assert live_api.ok("GET", "/v1/credit_notes")["data"] == []


def test_customer_balance_transactions(api, jpy):
    customer = jpy["customer"]
    credit = api.ok(
        "POST",
        f"/v1/customers/{customer}/balance_transactions",
        {"amount": -500, "currency": "jpy", "description": "お詫び", "metadata": {"case": "7"}},
    )
    assert (credit["object"], credit["type"], credit["amount"], credit["ending_balance"], credit["currency"]) == (
        "customer_balance_transaction",
        "adjustment",
        -500,
        -500,
        "jpy",
    )
    debit = api.ok("POST", f"/v1/customers/{customer}/balance_transactions", {"amount": 200, "currency": "jpy"})
    assert debit["ending_balance"] == -300
    invoice = _invoice(api, jpy, pay=True)
    api.ok("POST", "/v1/credit_notes", {"invoice": invoice["id"], "amount": 1000, "credit_amount": 1000})

    listed = api.ok("GET", f"/v1/customers/{customer}/balance_transactions")
    assert listed["url"] == f"/v1/customers/{customer}/balance_transactions"
    # Newest first; each ending_balance is the balance after it: the invoice took the ¥300 credit
    # at finalization, then the credit note gave ¥1,000.
    assert [(t["type"], t["amount"], t["ending_balance"]) for t in listed["data"]] == [
        ("credit_note", -1000, -1000),
        ("applied_to_invoice", 300, 0),
        ("adjustment", 200, -300),
        ("adjustment", -500, -500),
    ]
    customer_now = api.ok("GET", f"/v1/customers/{customer}")
    assert customer_now["balance"] == listed["data"][0]["ending_balance"] == -1000
    by_invoice = api.ok("GET", f"/v1/customers/{customer}/balance_transactions", {"invoice": invoice["id"]})
    assert by_invoice["data"] == listed["data"][:2]

    assert api.ok("GET", f"/v1/customers/{customer}/balance_transactions/{credit['id']}") == credit
    edited = api.ok(
        "POST", f"/v1/customers/{customer}/balance_transactions/{credit['id']}", {"description": "返金の代わり"}
    )
    assert (edited["description"], edited["amount"], edited["metadata"]) == ("返金の代わり", -500, {"case": "7"})
    other = api.ok("POST", "/v1/customers", {"name": "別の会社"})
    missing = api.get(f"/v1/customers/{other['id']}/balance_transactions/{credit['id']}")
    assert (missing.status, missing.error["code"]) == (404, "resource_missing")
    wrong = api.post(f"/v1/customers/{customer}/balance_transactions", {"amount": -1, "currency": "usd"})
    assert (wrong.status, wrong.error["param"]) == (400, "currency")
    empty = api.post(f"/v1/customers/{customer}/balance_transactions", {"currency": "jpy"})
    assert (empty.status, empty.error["param"]) == (400, "amount")


def test_invoices_show_the_sums_of_their_issued_credit_notes(api, jpy):
    invoice = _invoice(api, jpy, pay=False)
    untouched = _invoice(api, jpy, pay=True)
    # ¥1,000 off what the open invoice owes; once paid, ¥500 back to the card; a voided note counts for nothing.
    api.ok("POST", "/v1/credit_notes", {"invoice": invoice["id"], "amount": 1000})
    api.ok("POST", f"/v1/invoices/{invoice['id']}/pay")
    api.ok("POST", "/v1/credit_notes", {"invoice": invoice["id"], "amount": 500, "refund_amount": 500})
    voided = api.ok("POST", "/v1/credit_notes", {"invoice": invoice["id"], "amount": 200, "out_of_band_amount": 200})
    api.ok("POST", f"/v1/credit_notes/{voided['id']}/void")

    def sums(wire: dict[str, Any]) -> tuple[int, int]:
        return wire["pre_payment_credit_notes_amount"], wire["post_payment_credit_notes_amount"]

    assert sums(api.ok("GET", f"/v1/invoices/{invoice['id']}")) == (1000, 500)
    listed = {inv["id"]: sums(inv) for inv in api.ok("GET", "/v1/invoices", {"customer": jpy["customer"]})["data"]}
    assert listed == {invoice["id"]: (1000, 500), untouched["id"]: (0, 0)}
    searched = api.ok("GET", "/v1/invoices/search", {"query": f"customer:'{jpy['customer']}'"})["data"]
    assert {inv["id"]: sums(inv) for inv in searched} == listed

    # Read for a whole page at once: listing more invoices costs no more queries.
    for _ in range(3):
        _invoice(api, jpy, pay=True)
    with CaptureQueriesContext(connection) as one:
        api.ok("GET", "/v1/invoices", {"limit": 1})
    with CaptureQueriesContext(connection) as five:
        api.ok("GET", "/v1/invoices", {"limit": 5})
    assert len(five) == len(one)
