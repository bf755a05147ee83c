"""Customer balance transactions at the service level, and the plain data a credit note's document
(適格返還請求書) is printed from."""

from __future__ import annotations

from decimal import Decimal

import pytest

from seikyu.billing.models import Customer, CustomerBalanceTransaction
from seikyu.billing.render.credit_notes import credit_note_document_data
from seikyu.billing.services.credit_notes import create_credit_note
from seikyu.billing.services.customer_balance import (
    BalanceChange,
    apply_balance_changes,
    create_balance_transaction,
)
from seikyu.core.errors import InvalidRequest
from seikyu.documents.content import CreditNoteData, Line, TaxRow

from .conftest import NOW, events_since, last_event_id


def test_the_balance_is_the_sum_of_its_transactions(make_customer):
    customer = make_customer()
    for amount in (-1000, 250, -40):
        create_balance_transaction(customer.id, {"amount": amount, "currency": "JPY"}, livemode=False)
    rows = list(CustomerBalanceTransaction.objects.filter(customer=customer).order_by("id"))
    assert [(t.amount, t.ending_balance, t.type, t.currency) for t in rows] == [
        (-1000, -1000, "adjustment", "jpy"),
        (250, -750, "adjustment", "jpy"),
        (-40, -790, "adjustment", "jpy"),
    ]
    customer.refresh_from_db()
    assert (customer.balance, customer.currency) == (sum(t.amount for t in rows), "jpy")


def test_a_batch_of_changes_locks_writes_and_emits_once_per_customer(make_customer, django_assert_max_num_queries):
    customers = [make_customer() for _ in range(5)]
    changes = [
        BalanceChange(customer_id=c.id, amount=amount, currency="jpy", type="adjustment", created=NOW)
        for c in customers
        for amount in (-100, -20)
    ]
    mark = last_event_id()
    with django_assert_max_num_queries(8):
        rows = apply_balance_changes(changes)
    assert [row.ending_balance for row in rows] == [-100, -120] * 5
    assert [c.balance for c in Customer.objects.filter(id__in=[c.id for c in customers])] == [-120] * 5
    events = events_since(mark)
    assert [e.type for e in events] == ["customer.updated"] * 5
    assert all(e.data["previous_attributes"]["balance"] == 0 for e in events)


def test_a_balance_has_one_currency(make_customer):
    customer = make_customer()
    create_balance_transaction(customer.id, {"amount": -100, "currency": "jpy"}, livemode=False)
    with pytest.raises(InvalidRequest) as error:
        create_balance_transaction(customer.id, {"amount": -100, "currency": "usd"}, livemode=False)
    assert error.value.param == "currency"
    with pytest.raises(InvalidRequest) as error:
        create_balance_transaction(customer.id, {"amount": 0, "currency": "jpy"}, livemode=False)
    assert error.value.param == "amount"
    assert Customer.objects.get(id=customer.id).balance == -100


def test_credit_to_a_balance_in_another_currency_is_refused(make_customer, rates, paid_invoice):
    customer = make_customer()
    invoice = paid_invoice(customer, [(1000, [rates.standard.id])])
    create_balance_transaction(customer.id, {"amount": -1, "currency": "usd"}, livemode=False)
    with pytest.raises(InvalidRequest) as error:
        create_credit_note({"invoice": invoice.id, "amount": 100, "credit_amount": 100}, livemode=False)
    assert error.value.param == "credit_amount"


def test_document_data_has_what_a_return_invoice_needs(make_customer, rates, paid_invoice):
    customer = make_customer(address={"postal_code": "100-0001", "line1": "千代田1-1"})
    invoice = paid_invoice(customer, [(1000, [rates.standard.id]), (500, [rates.reduced.id])], quantities=[2, 3])
    standard_line, reduced_line = invoice.lines.order_by("position")
    note = create_credit_note(
        {
            "invoice": invoice.id,
            "lines": [
                {"type": "invoice_line_item", "invoice_line_item": standard_line.id, "quantity": 1},
                {"type": "invoice_line_item", "invoice_line_item": reduced_line.id, "quantity": 2},
            ],
            "out_of_band_amount": 2180,
            "reason": "product_unsatisfactory",
            "memo": "破損のため",
        },
        livemode=False,
    )

    data = credit_note_document_data(note)

    assert (data["number"], data["invoice_number"], data["invoice_date"], data["issued_at"]) == (
        note.number,
        invoice.number,
        invoice.finalized_at,
        note.effective_at,
    )
    assert (data["customer_name"], data["customer_address"]["postal_code"], data["total"]) == (
        "株式会社テスト",
        "100-0001",
        2180,
    )
    assert data["lines"] == [
        {"description": "item 0", "amount": 1000, "quantity": 1, "unit_amount": 1000, "reduced": False},
        {"description": "item 1", "amount": 1000, "quantity": 2, "unit_amount": 500, "reduced": True},
    ]
    assert data["taxes"] == [
        {"percentage": Decimal(10), "taxable_amount": 1000, "tax_amount": 100, "inclusive": False, "reduced": False},
        {"percentage": Decimal(8), "taxable_amount": 1000, "tax_amount": 80, "inclusive": False, "reduced": True},
    ]
    # The documents service builds its credit note from it as is.
    document = CreditNoteData(
        **{
            **data,
            "lines": [Line(**line) for line in data["lines"]],
            "taxes": [TaxRow(**tax) for tax in data["taxes"]],
        }
    )
    assert (document.reason, document.memo, document.taxes[1].reduced) == ("product_unsatisfactory", "破損のため", True)
