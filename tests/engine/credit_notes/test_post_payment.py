"""Credit notes on paid invoices: the money goes back as a refund, customer balance credit, out of
band, or a mix; the amounts must add up to the credit note exactly."""

from __future__ import annotations

import pytest

from seikyu.billing.models import Charge, CreditNote, Customer, CustomerBalanceTransaction, Invoice, Refund
from seikyu.billing.services.credit_notes import create_credit_note
from seikyu.billing.services.invoice_items import create_invoice_item
from seikyu.billing.services.invoices import create_manual_invoice, finalize_invoice
from seikyu.billing.services.payments import create_refund
from seikyu.core.errors import InvalidRequest, ResourceMissing

from .conftest import events_since, last_event_id


def _whole_line(invoice: Invoice) -> dict:
    line = invoice.lines.get()
    return {"type": "invoice_line_item", "invoice_line_item": line.id}


def _charge(invoice: Invoice) -> Charge:
    return Charge.objects.get(payment_intent__invoice=invoice)


def test_refund_to_the_card(make_customer, rates, paid_invoice):
    customer = make_customer(card="pm_card_visa")
    invoice = paid_invoice(customer, [(1000, [rates.standard.id])])
    mark = last_event_id()

    note = create_credit_note(
        {"invoice": invoice.id, "lines": [_whole_line(invoice)], "refund_amount": 1100, "reason": "duplicate"},
        livemode=False,
    )

    assert (note.type, note.pre_payment_amount, note.post_payment_amount, note.refund_amount) == (
        "post_payment",
        0,
        1100,
        1100,
    )
    refund = Refund.objects.get()
    charge = _charge(invoice)
    assert (refund.charge_id, refund.amount, refund.reason, refund.status) == (
        charge.id,
        1100,
        "duplicate",
        "succeeded",
    )
    assert (charge.amount_refunded, charge.refunded) == (1100, True)
    assert [(link.refund_id, link.amount_refunded) for link in note.refund_links.all()] == [(refund.id, 1100)]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.amount_remaining) == ("paid", 1100, 0)

    events = events_since(mark)
    assert [e.type for e in events] == ["refund.created", "charge.refunded", "credit_note.created", "invoice.updated"]
    created = events[2].data["object"]
    assert created["refunds"] == [
        {"amount_refunded": 1100, "payment_record_refund": None, "refund": refund.id, "type": "refund"}
    ]
    assert events[3].data["previous_attributes"] == {"post_payment_credit_notes_amount": 0}
    assert events[3].data["object"]["post_payment_credit_notes_amount"] == 1100


def test_customer_balance_credit_is_used_by_the_next_invoice(make_customer, rates, paid_invoice):
    customer = make_customer(card="pm_card_visa")
    invoice = paid_invoice(customer, [(1000, [rates.standard.id])])
    mark = last_event_id()

    note = create_credit_note(
        {"invoice": invoice.id, "lines": [_whole_line(invoice)], "credit_amount": 1100}, livemode=False
    )

    txn = CustomerBalanceTransaction.objects.get(customer=customer)
    assert (txn.type, txn.amount, txn.currency, txn.ending_balance, txn.credit_note_id, txn.invoice_id) == (
        "credit_note",
        -1100,
        "jpy",
        -1100,
        note.id,
        invoice.id,
    )
    assert note.customer_balance_transaction_id == txn.id
    assert Customer.objects.get(id=customer.id).balance == -1100
    events = events_since(mark)
    assert [e.type for e in events] == ["customer.updated", "credit_note.created", "invoice.updated"]
    # The customer had no currency yet: the credit gives their balance one.
    assert events[0].data["previous_attributes"] == {"balance": 0, "currency": None}
    assert (events[0].data["object"]["balance"], events[0].data["object"]["currency"]) == (-1100, "jpy")
    assert Refund.objects.count() == 0

    # The next invoice starts from the credit: ¥3,300 less ¥1,100 is due.
    create_invoice_item(
        {"customer": customer.id, "amount": 3000, "currency": "jpy", "tax_rates": [rates.standard.id]}, livemode=False
    )
    following = finalize_invoice(create_manual_invoice({"customer": customer.id}, livemode=False))
    assert (following.total, following.starting_balance, following.amount_due, following.ending_balance) == (
        3300,
        -1100,
        2200,
        0,
    )
    assert Customer.objects.get(id=customer.id).balance == 0


def test_money_returned_out_of_band(make_customer, rates, paid_invoice):
    invoice = paid_invoice(make_customer(), [(1000, [rates.standard.id])])
    note = create_credit_note({"invoice": invoice.id, "amount": 1100, "out_of_band_amount": 1100}, livemode=False)
    assert (note.type, note.out_of_band_amount, note.refund_amount, note.credit_amount) == ("post_payment", 1100, 0, 0)
    assert Refund.objects.count() == 0
    assert Customer.objects.get(id=invoice.customer_id).balance == 0


def test_a_mix_of_refund_credit_and_out_of_band(make_customer, rates, paid_invoice):
    customer = make_customer(card="pm_card_visa")
    invoice = paid_invoice(customer, [(1000, [rates.standard.id])])
    note = create_credit_note(
        {
            "invoice": invoice.id,
            "lines": [_whole_line(invoice)],
            "refund_amount": 500,
            "credit_amount": 300,
            "out_of_band_amount": 300,
        },
        livemode=False,
    )
    assert (note.total, note.refund_amount, note.credit_amount, note.out_of_band_amount) == (1100, 500, 300, 300)
    assert _charge(invoice).amount_refunded == 500
    assert Customer.objects.get(id=customer.id).balance == -300


@pytest.mark.parametrize(
    ("allocation", "param"),
    [
        ({}, "refund_amount"),
        ({"refund_amount": 600}, "refund_amount"),
        ({"credit_amount": 500, "out_of_band_amount": 700}, "credit_amount"),
        ({"out_of_band_amount": 1000}, "out_of_band_amount"),
    ],
)
def test_the_parts_must_add_up_to_the_credit_note(make_customer, rates, paid_invoice, allocation, param):
    invoice = paid_invoice(make_customer(card="pm_card_visa"), [(1000, [rates.standard.id])])
    mark = last_event_id()
    with pytest.raises(InvalidRequest) as error:
        create_credit_note({"invoice": invoice.id, "lines": [_whole_line(invoice)], **allocation}, livemode=False)
    assert error.value.param == param
    assert "1100" in error.value.message
    # Nothing happened: no note, no refund, no event.
    assert (CreditNote.objects.count(), Refund.objects.count(), events_since(mark)) == (0, 0, [])


def test_a_pre_payment_note_takes_no_refund_or_credit(make_customer, rates, open_invoice):
    invoice = open_invoice(make_customer(), [(1000, [rates.standard.id])])
    with pytest.raises(InvalidRequest) as error:
        create_credit_note({"invoice": invoice.id, "amount": 500, "credit_amount": 500}, livemode=False)
    assert error.value.param == "credit_amount"
    assert Customer.objects.get(id=invoice.customer_id).balance == 0


def test_no_refund_without_a_charge(make_customer, rates, paid_invoice):
    invoice = paid_invoice(make_customer(), [(1000, [rates.standard.id])])  # paid out of band
    with pytest.raises(InvalidRequest) as error:
        create_credit_note({"invoice": invoice.id, "amount": 1100, "refund_amount": 1100}, livemode=False)
    assert error.value.param == "refund_amount"


def test_earlier_refunds_count_against_the_invoice_until_a_note_takes_them(make_customer, rates, paid_invoice):
    invoice = paid_invoice(make_customer(card="pm_card_visa"), [(1000, [rates.standard.id])])
    earlier = create_refund(livemode=False, charge_id=_charge(invoice).id, amount=400)

    # ¥400 went back without a credit note: only ¥700 is left to credit.
    with pytest.raises(InvalidRequest) as error:
        create_credit_note(
            {"invoice": invoice.id, "lines": [_whole_line(invoice)], "refund_amount": 700}, livemode=False
        )
    assert error.value.param == "lines"
    assert "400 refunded without a credit note" in error.value.message

    # Linking the earlier refund makes the note account for it; the rest is refunded now.
    note = create_credit_note(
        {
            "invoice": invoice.id,
            "lines": [_whole_line(invoice)],
            "refunds": [{"refund": earlier.id}],
            "refund_amount": 700,
        },
        livemode=False,
    )
    links = [(link.refund_id, link.amount_refunded) for link in note.refund_links.order_by("id")]
    assert links[0] == (earlier.id, 400)
    assert [amount for _, amount in links] == [400, 700]
    assert _charge(invoice).amount_refunded == 1100

    # A refund is accounted for once.
    with pytest.raises(InvalidRequest) as error:
        create_credit_note(
            {"invoice": invoice.id, "amount": 1, "refunds": [{"refund": earlier.id, "amount_refunded": 1}]},
            livemode=False,
        )
    assert error.value.param == "refunds[0][amount_refunded]"


def test_only_refunds_of_the_invoice_can_be_linked(make_customer, rates, paid_invoice):
    invoice = paid_invoice(make_customer(card="pm_card_visa"), [(1000, [rates.standard.id])])
    other = paid_invoice(make_customer(card="pm_card_visa"), [(1000, [rates.standard.id])])
    foreign = create_refund(livemode=False, charge_id=_charge(other).id, amount=100)
    with pytest.raises(ResourceMissing) as error:
        create_credit_note({"invoice": invoice.id, "amount": 100, "refunds": [{"refund": foreign.id}]}, livemode=False)
    assert error.value.param == "refunds[0][refund]"
