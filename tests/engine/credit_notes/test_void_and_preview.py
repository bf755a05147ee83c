"""Voiding credit notes (what they changed is undone, when it still can be) and previews (the same
note, nothing kept)."""

from __future__ import annotations

from typing import Any

import pytest

from seikyu.billing.models import (
    CreditNote,
    CreditNoteLineItem,
    Customer,
    CustomerBalanceTransaction,
    Invoice,
    PaymentIntent,
    Refund,
)
from seikyu.billing.render.credit_notes import render_credit_note
from seikyu.billing.services.credit_notes import create_credit_note, preview_credit_note, void_credit_note
from seikyu.billing.services.invoices import collect_invoices, pay_invoice
from seikyu.core.errors import InvalidRequest

from .conftest import NOW, events_since, last_event_id


def _whole(invoice: Invoice) -> list[dict[str, Any]]:
    return [{"type": "invoice_line_item", "invoice_line_item": line.id} for line in invoice.lines.order_by("position")]


def test_voiding_a_pre_payment_note_restores_what_the_invoice_owes(make_customer, rates, open_invoice):
    customer = make_customer(card="pm_card_chargeCustomerFail")
    invoice = open_invoice(customer, [(2000, [rates.standard.id])])
    collect_invoices([invoice], now=NOW)
    note = create_credit_note({"invoice": invoice.id, "amount": 700, "memo": "お詫び"}, livemode=False)
    intent = PaymentIntent.objects.get(invoice=invoice)
    assert intent.amount == 1500
    mark = last_event_id()

    void_credit_note(note)

    assert (note.status, note.voided_at) == ("void", NOW)
    invoice.refresh_from_db()
    intent.refresh_from_db()
    assert (invoice.amount_due, invoice.amount_remaining, invoice.status, intent.amount) == (2200, 2200, "open", 2200)
    events = events_since(mark)
    assert [e.type for e in events] == ["credit_note.voided", "invoice.updated"]
    assert (events[0].data["object"]["status"], events[0].data["object"]["voided_at"]) == ("void", int(NOW.timestamp()))
    previous = events[1].data["previous_attributes"]
    assert {k: previous[k] for k in ("amount_due", "amount_remaining", "pre_payment_credit_notes_amount")} == {
        "amount_due": 1500,
        "amount_remaining": 1500,
        "pre_payment_credit_notes_amount": 700,
    }
    # The unfinished payment asks for the restored amount again.
    assert previous["payments"]["data"][0]["amount_requested"] == 1500
    assert events[1].data["object"]["payments"]["data"][0]["amount_requested"] == 2200
    # A voided note credits nothing: the whole invoice can be credited again, under a new number.
    again = create_credit_note({"invoice": invoice.id, "lines": _whole(invoice)}, livemode=False)
    assert (again.number, again.total) == (f"{invoice.number}-CN-02", 2200)


def test_voiding_a_balance_credit_takes_it_back(make_customer, rates, paid_invoice):
    customer = make_customer()
    invoice = paid_invoice(customer, [(1000, [rates.standard.id])])
    note = create_credit_note({"invoice": invoice.id, "amount": 500, "credit_amount": 500}, livemode=False)
    mark = last_event_id()

    void_credit_note(note)

    assert Customer.objects.get(id=customer.id).balance == 0
    issued, reversed_ = CustomerBalanceTransaction.objects.filter(customer=customer).order_by("id")
    assert [(t.type, t.amount, t.ending_balance, t.credit_note_id) for t in (issued, reversed_)] == [
        ("credit_note", -500, -500, note.id),
        ("credit_note", 500, 0, note.id),
    ]
    # The credit note still names the transaction that credited the customer.
    assert note.customer_balance_transaction_id == issued.id
    events = events_since(mark)
    assert [e.type for e in events] == ["customer.updated", "credit_note.voided", "invoice.updated"]
    assert events[2].data["previous_attributes"] == {"post_payment_credit_notes_amount": 500}


def test_what_can_not_be_voided(make_customer, rates, open_invoice, paid_invoice):
    refunded = paid_invoice(make_customer(card="pm_card_visa"), [(1000, [rates.standard.id])])
    with_refund = create_credit_note({"invoice": refunded.id, "amount": 100, "refund_amount": 100}, livemode=False)
    with pytest.raises(InvalidRequest) as error:
        void_credit_note(with_refund)
    assert "refund" in error.value.message

    invoice = open_invoice(make_customer(card="pm_card_visa"), [(1000, [rates.standard.id])])
    lowered = create_credit_note({"invoice": invoice.id, "amount": 100}, livemode=False)
    pay_invoice(invoice)
    with pytest.raises(InvalidRequest) as error:
        void_credit_note(lowered)
    assert "paid" in error.value.message

    out_of_band = create_credit_note({"invoice": invoice.id, "amount": 100, "out_of_band_amount": 100}, livemode=False)
    void_credit_note(out_of_band)
    with pytest.raises(InvalidRequest) as error:
        void_credit_note(out_of_band)
    assert error.value.code == "credit_note_already_voided"
    assert CreditNote.objects.get(id=lowered.id).status == "issued"


def _comparable(rendered: dict[str, Any]) -> dict[str, Any]:
    """A rendered note without what differs between two issues of it: ids, refunds made and the
    document (an issued note's ``pdf`` link; a preview has none)."""
    lines = [{k: v for k, v in line.items() if k != "id"} for line in rendered["lines"]["data"]]
    skip = {"id", "lines", "refunds", "customer_balance_transaction", "pdf"}
    return {**{k: v for k, v in rendered.items() if k not in skip}, "lines": lines}


def test_a_preview_is_the_note_that_would_be_issued_and_keeps_nothing(make_customer, rates, open_invoice):
    customer = make_customer(balance=-300)
    invoice = open_invoice(customer, [(1000, [rates.standard.id]), (800, [rates.reduced.id])], quantities=[2, 1])
    lines = [
        {"type": "invoice_line_item", "invoice_line_item": invoice.lines.order_by("position")[0].id, "quantity": 1},
        {"type": "custom_line_item", "unit_amount": 19, "quantity": 3, "tax_rates": [rates.reduced.id]},
    ]
    # Owes ¥2,200 + ¥864 − ¥300 = ¥2,764; crediting ¥1,000 + ¥57 lowers it, nothing goes back.
    params = {"invoice": invoice.id, "lines": lines, "memo": "一部返品", "reason": "product_unsatisfactory"}
    mark = last_event_id()

    preview, preview_lines = preview_credit_note(params, livemode=False)

    assert (CreditNote.objects.count(), CreditNoteLineItem.objects.count(), events_since(mark)) == (0, 0, [])
    invoice.refresh_from_db()
    assert invoice.amount_remaining == 2764
    assert [line["amount"] for line in preview_lines] == [1000, 57]

    note = create_credit_note(params, livemode=False)
    assert _comparable(preview) == _comparable(render_credit_note(note))
    assert preview["number"] == note.number
    assert preview["pdf"] is None and render_credit_note(note)["pdf"].endswith("/pdf")
    assert [{k: v for k, v in line.items() if k != "id"} for line in preview_lines] == _comparable(
        render_credit_note(note)
    )["lines"]


def test_a_preview_of_a_refund_makes_no_refund(make_customer, rates, paid_invoice):
    customer = make_customer(card="pm_card_visa")
    invoice = paid_invoice(customer, [(1000, [rates.standard.id])])
    params = {"invoice": invoice.id, "amount": 600, "refund_amount": 400, "credit_amount": 200}

    preview, _ = preview_credit_note(params, livemode=False)

    assert (preview["type"], preview["post_payment_amount"], preview["refunds"]) == ("post_payment", 600, [])
    assert preview["customer_balance_transaction"] is None
    assert (Refund.objects.count(), CustomerBalanceTransaction.objects.count()) == (0, 0)
    assert Customer.objects.get(id=customer.id).balance == 0
    note = create_credit_note(params, livemode=False)
    assert _comparable(preview) == _comparable(render_credit_note(note))
    assert [r["amount_refunded"] for r in render_credit_note(note)["refunds"]] == [400]


def test_a_preview_refuses_what_the_issue_would_refuse(make_customer, rates, paid_invoice):
    invoice = paid_invoice(make_customer(), [(1000, [rates.standard.id])])
    with pytest.raises(InvalidRequest) as error:
        preview_credit_note({"invoice": invoice.id, "amount": 600}, livemode=False)
    assert error.value.param == "refund_amount"
