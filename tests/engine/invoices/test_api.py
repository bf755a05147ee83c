"""The invoice and payment endpoints through ``/v1``, as the stripe SDK calls them."""

from __future__ import annotations

import pytest
import stripe

from api_support import ApiClient, api, api_key, live_api

__all__ = ["api", "live_api"]


@pytest.fixture
def jpy(api: ApiClient) -> dict[str, str]:
    tax = api.ok("POST", "/v1/tax_rates", {"display_name": "消費税", "percentage": "10", "inclusive": False})
    customer = api.ok("POST", "/v1/customers", {"name": "株式会社請求", "payment_method": "pm_card_visa"})
    pm = api.ok("GET", f"/v1/customers/{customer['id']}/payment_methods")["data"][0]
    api.ok("POST", f"/v1/customers/{customer['id']}", {"invoice_settings": {"default_payment_method": pm["id"]}})
    return {"tax": tax["id"], "customer": customer["id"], "pm": pm["id"]}


def _draft(api: ApiClient, jpy: dict[str, str], amounts: list[int], **params: object) -> dict:
    for amount in amounts:
        api.ok(
            "POST",
            "/v1/invoiceitems",
            {"customer": jpy["customer"], "amount": amount, "currency": "jpy", "tax_rates": [jpy["tax"]]},
        )
    return api.ok("POST", "/v1/invoices", {"customer": jpy["customer"], **params})


def test_manual_invoice_from_draft_to_paid(api, jpy):
    draft = _draft(api, jpy, [3000, 2000], description="2026年4月分")
    assert (draft["object"], draft["status"], draft["auto_advance"], draft["billing_reason"]) == (
        "invoice",
        "draft",
        False,
        "manual",
    )
    assert (draft["subtotal"], draft["total"], draft["amount_due"]) == (5000, 5500, 5500)
    assert draft["total_taxes"] == [
        {
            "amount": 500,
            "tax_behavior": "exclusive",
            "tax_rate_details": {"tax_rate": jpy["tax"]},
            "taxability_reason": "not_available",
            "taxable_amount": 5000,
            "type": "tax_rate_details",
        }
    ]
    # Current API shape: no paid / charge / payment_intent / subscription at the top level.
    for gone in ("paid", "charge", "payment_intent", "subscription", "total_tax_amounts", "discount"):
        assert gone not in draft
    assert draft["lines"]["url"] == f"/v1/invoices/{draft['id']}/lines"
    line = draft["lines"]["data"][0]
    assert line["object"] == "line_item" and line["parent"]["type"] == "invoice_item_details"
    assert draft["parent"] is None and draft["payments"]["data"] == []

    opened = api.ok("POST", f"/v1/invoices/{draft['id']}/finalize")
    assert opened["status"] == "open" and opened["number"].endswith("-0001")
    paid = api.ok("POST", f"/v1/invoices/{draft['id']}/pay")
    assert (paid["status"], paid["amount_paid"], paid["amount_remaining"]) == ("paid", 5500, 0)
    [payment] = paid["payments"]["data"]
    assert (payment["object"], payment["status"], payment["payment"]["type"]) == (
        "invoice_payment",
        "paid",
        "payment_intent",
    )
    intent = api.ok("GET", f"/v1/payment_intents/{payment['payment']['payment_intent']}")
    assert (intent["status"], intent["amount_received"], intent["payment_method"]) == ("succeeded", 5500, jpy["pm"])
    charge = api.ok("GET", f"/v1/charges/{intent['latest_charge']}")
    assert (charge["paid"], charge["amount"], charge["payment_method_details"]["card"]["last4"]) == (True, 5500, "4242")
    # The SDK reads it as its own objects.
    invoice = stripe.Invoice.construct_from(paid, "sk_test_x")
    assert invoice.status_transitions.paid_at == paid["status_transitions"]["paid_at"]
    assert invoice.lines.data[0].pricing is None

    events = api.ok("GET", "/v1/events", {"type": "invoice.*", "limit": 100})["data"]
    assert {e["type"] for e in events if e["data"]["object"]["id"] == draft["id"]} == {
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
    }


def test_declined_payment_is_a_402_card_error(api):
    customer = api.ok("POST", "/v1/customers", {"name": "Decline", "payment_method": "pm_card_chargeCustomerFail"})
    pm = api.ok("GET", f"/v1/customers/{customer['id']}/payment_methods")["data"][0]
    api.ok("POST", "/v1/invoiceitems", {"customer": customer["id"], "amount": 1000, "currency": "jpy"})
    draft = api.ok("POST", "/v1/invoices", {"customer": customer["id"], "default_payment_method": pm["id"]})
    status, body, _ = api.post(f"/v1/invoices/{draft['id']}/pay")
    assert status == 402
    assert (body["error"]["type"], body["error"]["code"], body["error"]["decline_code"]) == (
        "card_error",
        "card_declined",
        "generic_decline",
    )
    assert body["error"]["message"] == "Your card was declined."
    # The declined attempt stays on record, as Stripe keeps it: the invoice was finalized and tried.
    after = api.ok("GET", f"/v1/invoices/{draft['id']}")
    assert (after["status"], after["attempt_count"], after["attempted"]) == ("open", 1, True)
    assert body["error"]["payment_intent"]["status"] == "requires_payment_method"


def test_illegal_transitions_are_400_with_a_clear_message(api, jpy):
    paid = api.ok("POST", f"/v1/invoices/{_draft(api, jpy, [1000])['id']}/pay", {"paid_out_of_band": True})
    assert paid["status"] == "paid"
    error = api.post(f"/v1/invoices/{paid['id']}/void").error
    assert error["type"] == "invalid_request_error"
    assert "is paid" in error["message"] and error["code"] == "invoice_unexpected_state"
    assert "already finalized" in api.post(f"/v1/invoices/{paid['id']}/finalize").error["message"]
    assert "only delete draft" in api.delete(f"/v1/invoices/{paid['id']}").error["message"]
    assert api.post(f"/v1/invoices/{paid['id']}", {"description": "x"}).error["code"] == "invoice_not_editable"


def test_delete_void_and_uncollectible(api, jpy):
    draft = _draft(api, jpy, [1000])
    assert api.ok("DELETE", f"/v1/invoices/{draft['id']}") == {"id": draft["id"], "object": "invoice", "deleted": True}
    assert api.get(f"/v1/invoices/{draft['id']}").status == 404

    send = {"collection_method": "send_invoice", "days_until_due": 14}
    opened = api.ok("POST", f"/v1/invoices/{_draft(api, jpy, [1000], **send)['id']}/finalize")
    assert opened["due_date"] == opened["status_transitions"]["finalized_at"] + 14 * 86400
    assert api.ok("POST", f"/v1/invoices/{opened['id']}/send")["status"] == "open"
    assert api.ok("POST", f"/v1/invoices/{opened['id']}/mark_uncollectible")["status"] == "uncollectible"
    voided = api.ok("POST", f"/v1/invoices/{opened['id']}/void")
    assert voided["status"] == "void" and voided["status_transitions"]["voided_at"]


def test_list_filters_search_and_modes(api, live_api, jpy):
    first = _draft(api, jpy, [1000])
    second = api.ok("POST", f"/v1/invoices/{_draft(api, jpy, [2000])['id']}/finalize")
    listed = api.ok("GET", "/v1/invoices", {"customer": jpy["customer"]})
    # Both were made in the same (pinned) instant, so their order is by id.
    assert {i["id"] for i in listed["data"]} == {second["id"], first["id"]}
    assert [i["id"] for i in api.ok("GET", "/v1/invoices", {"status": "draft"})["data"]] == [first["id"]]
    found = api.ok("GET", "/v1/invoices/search", {"query": f"status:'open' AND customer:'{jpy['customer']}'"})
    assert [i["id"] for i in found["data"]] == [second["id"]]
    assert api.ok("GET", "/v1/invoices/search", {"query": "total>2000"})["data"][0]["id"] == second["id"]
    # A live key sees none of it.
    assert live_api.get(f"/v1/invoices/{first['id']}").status == 404
    assert live_api.ok("GET", "/v1/invoices")["data"] == []


def test_lines_page_in_invoice_order(api, jpy):
    draft = _draft(api, jpy, list(range(100, 1300, 100)))
    assert len(draft["lines"]["data"]) == 10 and draft["lines"]["has_more"] is True
    page = api.ok("GET", f"/v1/invoices/{draft['id']}/lines", {"limit": 5})
    rest = api.ok("GET", f"/v1/invoices/{draft['id']}/lines", {"starting_after": page["data"][-1]["id"], "limit": 10})
    assert (page["has_more"], rest["has_more"], len(rest["data"])) == (True, False, 7)
    every = [line["id"] for line in page["data"] + rest["data"]]
    assert every == [line["id"] for line in draft["lines"]["data"]] + [line["id"] for line in rest["data"][-2:]]
    before = api.ok("GET", f"/v1/invoices/{draft['id']}/lines", {"ending_before": rest["data"][0]["id"], "limit": 2})
    assert [line["id"] for line in before["data"]] == every[3:5]


def test_invoice_items_crud(api, jpy):
    item = api.ok(
        "POST", "/v1/invoiceitems", {"customer": jpy["customer"], "unit_amount": 300, "quantity": 3, "currency": "jpy"}
    )
    assert (item["object"], item["amount"], item["quantity"], item["invoice"]) == ("invoiceitem", 900, 3, None)
    item = api.ok("POST", f"/v1/invoiceitems/{item['id']}", {"quantity": 4, "metadata": {"po": "A-1"}})
    assert (item["amount"], item["metadata"]) == (1200, {"po": "A-1"})
    assert [i["id"] for i in api.ok("GET", "/v1/invoiceitems", {"pending": True})["data"]] == [item["id"]]
    assert api.ok("DELETE", f"/v1/invoiceitems/{item['id']}")["deleted"] is True
    assert api.get(f"/v1/invoiceitems/{item['id']}").status == 404
    missing = api.post("/v1/invoiceitems", {"customer": jpy["customer"], "currency": "jpy"}).error
    assert missing["code"] == "parameter_missing"


def test_payment_methods_and_refunds(api):
    customer = api.ok("POST", "/v1/customers", {"name": "Card holder"})
    pm = api.ok(
        "POST",
        "/v1/payment_methods",
        {"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}},
    )
    assert (pm["customer"], pm["card"]["brand"], pm["card"]["last4"]) == (None, "visa", "4242")
    attached = api.ok("POST", f"/v1/payment_methods/{pm['id']}/attach", {"customer": customer["id"]})
    assert attached["customer"] == customer["id"]
    expired = api.post(
        "/v1/payment_methods",
        {"type": "card", "card": {"number": "4242424242424242", "exp_month": 1, "exp_year": 2020}},
    )
    assert (expired.status, expired.error["code"]) == (402, "invalid_expiry_year")
    declined = api.post("/v1/payment_methods/pm_card_chargeDeclined/attach", {"customer": customer["id"]})
    assert (declined.status, declined.error["code"]) == (402, "card_declined")

    api.ok("POST", "/v1/invoiceitems", {"customer": customer["id"], "amount": 4000, "currency": "jpy"})
    draft = api.ok("POST", "/v1/invoices", {"customer": customer["id"]})
    paid = api.ok("POST", f"/v1/invoices/{draft['id']}/pay", {"payment_method": pm["id"]})
    intent_id = paid["payments"]["data"][0]["payment"]["payment_intent"]
    refund = api.ok(
        "POST", "/v1/refunds", {"payment_intent": intent_id, "amount": 1500, "reason": "requested_by_customer"}
    )
    assert (refund["object"], refund["amount"], refund["status"], refund["customer"]) == (
        "refund",
        1500,
        "succeeded",
        customer["id"],
    )
    charge = api.ok("GET", f"/v1/charges/{refund['charge']}")
    assert (charge["amount_refunded"], charge["refunded"]) == (1500, False)
    too_much = api.post("/v1/refunds", {"charge": charge["id"], "amount": 2501}).error
    assert too_much["param"] == "amount"
    assert api.ok("GET", "/v1/refunds", {"charge": charge["id"]})["data"][0]["id"] == refund["id"]

    detached = api.ok("POST", f"/v1/payment_methods/{pm['id']}/detach")
    assert detached["customer"] is None
    assert api.ok("GET", f"/v1/customers/{customer['id']}/payment_methods")["data"] == []


def test_invoice_payments_list(api, jpy):
    paid = api.ok("POST", f"/v1/invoices/{_draft(api, jpy, [1000])['id']}/pay", {"paid_out_of_band": True})
    listed = api.ok("GET", "/v1/invoice_payments", {"invoice": paid["id"]})
    assert [(p["payment"]["type"], p["amount_paid"]) for p in listed["data"]] == [("out_of_band", 1100)]


def test_live_keys_cannot_use_test_cards(db):
    live = ApiClient(api_key(livemode=True))
    customer = live.ok("POST", "/v1/customers", {"name": "Live"})
    assert live.post("/v1/payment_methods/pm_card_visa/attach", {"customer": customer["id"]}).status == 404


def test_add_update_and_remove_lines(api, jpy):
    draft = _draft(api, jpy, [1000])
    pending = api.ok("POST", "/v1/invoiceitems", {"customer": jpy["customer"], "amount": 500, "currency": "jpy"})
    added = api.ok(
        "POST",
        f"/v1/invoices/{draft['id']}/add_lines",
        {
            "lines": [
                {"amount": 2000, "description": "設定作業", "tax_rates": [jpy["tax"]]},
                {"invoice_item": pending["id"]},
            ]
        },
    )
    assert (added["subtotal"], added["total"], len(added["lines"]["data"])) == (3500, 3800, 3)
    new_line = next(line for line in added["lines"]["data"] if line["description"] == "設定作業")
    updated = api.ok(
        "POST", f"/v1/invoices/{draft['id']}/update_lines", {"lines": [{"id": new_line["id"], "amount": 3000}]}
    )
    assert (updated["subtotal"], updated["total"]) == (4500, 4900)
    moved = next(
        line
        for line in updated["lines"]["data"]
        if line["parent"]["invoice_item_details"]["invoice_item"] == pending["id"]
    )
    removed = api.ok(
        "POST",
        f"/v1/invoices/{draft['id']}/remove_lines",
        {"lines": [{"id": moved["id"], "behavior": "unassign"}, {"id": new_line["id"], "behavior": "delete"}]},
    )
    assert (removed["subtotal"], len(removed["lines"]["data"])) == (1000, 1)
    assert api.ok("GET", f"/v1/invoiceitems/{pending['id']}")["invoice"] is None
    updates = [
        e
        for e in api.ok("GET", "/v1/events", {"type": "invoice.updated"})["data"]
        if e["data"]["object"]["id"] == draft["id"]
    ]
    assert len(updates) == 3  # one per call
    opened = api.ok("POST", f"/v1/invoices/{draft['id']}/finalize")
    refused = api.post(f"/v1/invoices/{opened['id']}/add_lines", {"lines": [{"amount": 1}]}).error
    assert refused["code"] == "invoice_not_editable"
