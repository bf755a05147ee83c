"""Credit notes on invoices that still owe money: they lower amount_due and amount_remaining, and
an invoice credited down to nothing is paid."""

from __future__ import annotations

import datetime as dt

from seikyu.billing.models import CreditNote, Customer, CustomerBalanceTransaction, Invoice, PaymentIntent
from seikyu.billing.services.credit_notes import create_credit_note
from seikyu.billing.services.invoices import collect_invoices, pay_invoice
from seikyu.billing.services.payment_methods import attach_payment_method

from .conftest import NOW, events_since, last_event_id


def _line_credit(invoice: Invoice, position: int, **how: int) -> dict:
    line = invoice.lines.order_by("position")[position]
    return {"type": "invoice_line_item", "invoice_line_item": line.id, **how}


def test_partial_credit_by_quantity_lowers_what_the_invoice_owes(make_customer, rates, open_invoice):
    customer = make_customer()
    # 3 × ¥1,000 at 10 % and ¥500 at 8 %: ¥3,300 + ¥540 = ¥3,840.
    invoice = open_invoice(customer, [(1000, [rates.standard.id]), (500, [rates.reduced.id])], quantities=[3, 1])
    assert (invoice.total, invoice.amount_due) == (3840, 3840)
    mark = last_event_id()

    note = create_credit_note(
        {"invoice": invoice.id, "lines": [_line_credit(invoice, 0, quantity=1)], "reason": "order_change"},
        livemode=False,
    )

    assert (note.type, note.status, note.subtotal, note.total, note.total_excluding_tax) == (
        "pre_payment",
        "issued",
        1000,
        1100,
        1000,
    )
    assert (note.pre_payment_amount, note.post_payment_amount, note.refund_amount, note.credit_amount) == (
        1100,
        0,
        0,
        0,
    )
    assert note.number == f"{invoice.number}-CN-01"
    assert (note.effective_at, note.created, note.customer_id, note.currency) == (NOW, NOW, customer.id, "jpy")
    [line] = note.lines.all()
    assert (line.type, line.quantity, line.unit_amount, line.amount, line.description) == (
        "invoice_line_item",
        1,
        1000,
        1000,
        "item 0",
    )
    assert [(t["tax_rate_details"]["tax_rate"], t["taxable_amount"], t["amount"]) for t in note.total_taxes] == [
        (rates.standard.id, 1000, 100)
    ]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_due, invoice.amount_remaining, invoice.amount_paid) == (
        "open",
        2740,
        2740,
        0,
    )

    events = events_since(mark)
    assert [e.type for e in events] == ["credit_note.created", "invoice.updated"]
    assert events[0].data["object"]["id"] == note.id
    updated = events[1].data
    assert updated["object"]["pre_payment_credit_notes_amount"] == 1100
    assert updated["object"]["post_payment_credit_notes_amount"] == 0
    assert updated["previous_attributes"] == {
        "amount_due": 3840,
        "amount_remaining": 3840,
        "pre_payment_credit_notes_amount": 0,
    }

    # A second note on the same invoice is numbered next and can't take more than is left on the line.
    second = create_credit_note(
        {"invoice": invoice.id, "lines": [_line_credit(invoice, 0, quantity=2)]}, livemode=False
    )
    assert (second.number, second.total) == (f"{invoice.number}-CN-02", 2200)
    invoice.refresh_from_db()
    assert (invoice.amount_due, invoice.amount_remaining) == (540, 540)


def test_crediting_everything_pays_the_invoice_with_the_same_tax(make_customer, rates, open_invoice):
    customer = make_customer()
    invoice = open_invoice(customer, [(1234, [rates.standard.id]), (567, [rates.reduced.id]), (99, [])])
    mark = last_event_id()
    lines = list(invoice.lines.order_by("position"))

    note = create_credit_note(
        {"invoice": invoice.id, "lines": [{"type": "invoice_line_item", "invoice_line_item": li.id} for li in lines]},
        livemode=False,
    )

    # The whole invoice credited at once gives back exactly its amounts and its tax per rate.
    assert (note.subtotal, note.total, note.total_excluding_tax) == (
        invoice.subtotal,
        invoice.total,
        invoice.total_excluding_tax,
    )
    assert note.total_taxes == invoice.total_taxes
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_due, invoice.amount_remaining, invoice.amount_paid, invoice.paid_at) == (
        "paid",
        0,
        0,
        0,
        NOW,
    )
    assert [e.type for e in events_since(mark)] == ["credit_note.created", "invoice.updated", "invoice.paid"]
    # Nothing is left to credit.
    assert CreditNote.objects.filter(invoice=invoice).count() == 1


def test_credit_after_a_failed_charge_shrinks_the_payment_intent(make_customer, rates, open_invoice):
    customer = make_customer(card="pm_card_chargeCustomerFail")
    invoice = open_invoice(customer, [(5000, [rates.standard.id])])
    collect_invoices([invoice], now=NOW)
    intent = PaymentIntent.objects.get(invoice=invoice)
    assert (invoice.attempt_count, intent.amount, intent.status) == (1, 5500, "requires_payment_method")

    create_credit_note({"invoice": invoice.id, "amount": 1100}, livemode=False)

    intent.refresh_from_db()
    assert intent.amount == 4400
    # The customer pays the rest with a working card: the same intent collects the new amount.
    good = attach_payment_method("pm_card_visa", customer, livemode=False)
    pay_invoice(invoice, payment_method_id=good.id)
    invoice.refresh_from_db()
    intent.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.amount_remaining) == ("paid", 4400, 0)
    assert (intent.status, intent.amount, intent.amount_received) == ("succeeded", 4400, 4400)


def test_crediting_an_open_invoice_to_zero_cancels_its_payment_intent(make_customer, rates, open_invoice):
    customer = make_customer(card="pm_card_chargeCustomerFail")
    invoice = open_invoice(customer, [(1000, [rates.standard.id])])
    collect_invoices([invoice], now=NOW)
    mark = last_event_id()

    create_credit_note({"invoice": invoice.id, "lines": [_line_credit(invoice, 0)]}, livemode=False)

    intent = PaymentIntent.objects.get(invoice=invoice)
    assert (intent.status, intent.cancellation_reason) == ("canceled", "automatic")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.next_payment_attempt, invoice.next_action_at) == ("paid", None, None)
    assert [e.type for e in events_since(mark)] == [
        "payment_intent.canceled",
        "credit_note.created",
        "invoice.updated",
        "invoice.paid",
    ]


def test_credit_beyond_what_is_owed_goes_to_the_balance_as_a_mixed_note(make_customer, rates, open_invoice):
    # ¥300 of credit on the customer's balance pays part of the invoice at finalization.
    customer = make_customer(balance=-300)
    invoice = open_invoice(customer, [(1000, [rates.standard.id])])
    assert (invoice.total, invoice.starting_balance, invoice.amount_due) == (1100, -300, 800)
    assert Customer.objects.get(id=customer.id).balance == 0

    note = create_credit_note(
        {"invoice": invoice.id, "lines": [_line_credit(invoice, 0)], "credit_amount": 300}, livemode=False
    )

    assert (note.type, note.pre_payment_amount, note.post_payment_amount, note.credit_amount) == (
        "mixed",
        800,
        300,
        300,
    )
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_remaining) == ("paid", 0)
    # The ledger: the initial credit, its use by the invoice, the note's credit.
    *earlier, txn = CustomerBalanceTransaction.objects.filter(customer=customer).order_by("created", "id")
    assert [(t.type, t.amount, t.ending_balance, t.invoice_id) for t in earlier] == [
        ("initial", -300, -300, None),
        ("applied_to_invoice", 300, 0, invoice.id),
    ]
    assert (txn.type, txn.amount, txn.ending_balance, txn.credit_note_id, txn.invoice_id) == (
        "credit_note",
        -300,
        -300,
        note.id,
        invoice.id,
    )
    assert note.customer_balance_transaction_id == txn.id
    assert Customer.objects.get(id=customer.id).balance == -300


def test_an_uncollectible_invoice_can_be_credited(make_customer, rates, open_invoice):
    from seikyu.billing.services.invoices import mark_uncollectible

    invoice = mark_uncollectible(open_invoice(make_customer(), [(2000, [rates.standard.id])]))
    returned_on = NOW + dt.timedelta(days=3)
    note = create_credit_note(
        {"invoice": invoice.id, "amount": 200, "effective_at": int(returned_on.timestamp())}, livemode=False
    )
    invoice.refresh_from_db()
    assert (note.type, invoice.status, invoice.amount_remaining) == ("pre_payment", "uncollectible", 2000)
    # The date printed on the note can differ from when it was made.
    assert (note.effective_at, note.created) == (returned_on, NOW)
