"""Every movement of a customer's balance is a balance transaction, so a customer's transactions
always explain its balance: invoice finalization (``applied_to_invoice``), a balance set on the
customer (``initial`` / ``adjustment``), besides credit notes and balance transactions."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext

from api_support import ApiClient, api_key
from seikyu.billing.models import Customer, CustomerBalanceTransaction, Invoice
from seikyu.billing.services.customer_balance import create_balance_transaction
from seikyu.billing.services.invoice_items import create_invoice_item
from seikyu.billing.services.invoices import create_manual_invoice, finalize_invoice, finalize_invoices

from .conftest import NOW, Rates, events_since, last_event_id


def ledger(customer: Customer) -> list[tuple[str, int, int, str | None]]:
    """The customer's transactions, oldest first: (type, amount, ending balance, invoice)."""
    rows = CustomerBalanceTransaction.objects.filter(customer_id=customer.id).order_by("created", "id")
    return [(t.type, t.amount, t.ending_balance, t.invoice_id) for t in rows]


def balance_explained(customer: Customer) -> bool:
    rows = ledger(customer)
    balance = Customer.objects.get(id=customer.id).balance
    return balance == sum(amount for _, amount, _, _ in rows) == (rows[-1][2] if rows else 0)


def draft(customer: Customer, amount: int, rates: Rates) -> Invoice:
    create_invoice_item(
        {"customer": customer.id, "amount": amount, "currency": "jpy", "tax_rates": [rates.standard.id]},
        livemode=False,
    )
    return create_manual_invoice({"customer": customer.id}, livemode=False)


def test_finalizing_an_invoice_records_the_balance_it_used(make_customer: Callable[..., Customer], rates):
    customer = make_customer()
    credit = create_balance_transaction(customer.id, {"amount": -300, "currency": "jpy"}, livemode=False)
    invoice = draft(customer, 1000, rates)
    mark = last_event_id()

    invoice = finalize_invoice(invoice)

    assert (invoice.total, invoice.starting_balance, invoice.ending_balance, invoice.amount_due) == (1100, -300, 0, 800)
    assert ledger(customer) == [("adjustment", -300, -300, None), ("applied_to_invoice", 300, 0, invoice.id)]
    applied = CustomerBalanceTransaction.objects.exclude(id=credit.id).get()
    assert (applied.currency, applied.created) == ("jpy", NOW)
    assert balance_explained(customer)
    [updated] = [e for e in events_since(mark) if e.type == "customer.updated"]
    assert (updated.data["object"]["balance"], updated.data["previous_attributes"]) == (0, {"balance": -300})


def test_a_debit_is_collected_and_a_negative_total_becomes_credit(make_customer, rates):
    customer = make_customer()
    create_balance_transaction(customer.id, {"amount": 700, "currency": "jpy"}, livemode=False)
    collected = finalize_invoice(draft(customer, 2000, rates))
    refund_like = finalize_invoice(draft(customer, -1000, rates))

    assert (collected.amount_due, refund_like.status, refund_like.ending_balance) == (2900, "paid", -1100)
    assert ledger(customer) == [
        ("adjustment", 700, 700, None),
        ("applied_to_invoice", -700, 0, collected.id),
        ("applied_to_invoice", -1100, -1100, refund_like.id),
    ]
    assert balance_explained(customer)


def test_a_batch_writes_its_transactions_at_once_and_nothing_without_balances(make_customer, rates):
    def inserts(queries: CaptureQueriesContext) -> int:
        return sum('INSERT INTO "billing_customerbalancetransaction"' in q["sql"] for q in queries.captured_queries)

    without = [draft(make_customer(), 1000, rates) for _ in range(3)]
    with CaptureQueriesContext(connection) as plain:
        finalize_invoices(without, now=NOW)
    assert inserts(plain) == 0 and not CustomerBalanceTransaction.objects.exists()

    customers = [make_customer() for _ in range(3)]
    for customer in customers:
        create_balance_transaction(customer.id, {"amount": -500, "currency": "jpy"}, livemode=False)
    # Two invoices of one customer in the batch: the second finds the balance the first left.
    batch = [draft(customer, 300, rates) for customer in customers] + [draft(customers[0], 300, rates)]
    with CaptureQueriesContext(connection) as settled:
        finalize_invoices(batch, now=NOW)

    assert inserts(settled) == 1
    # The balances cost a constant handful of statements on top of a batch without any.
    assert len(settled) - len(plain) <= 6
    assert [row[:3] for row in ledger(customers[0])] == [
        ("adjustment", -500, -500),
        ("applied_to_invoice", 330, -170),
        ("applied_to_invoice", 170, 0),
    ]
    assert all(balance_explained(customer) for customer in customers)


def test_a_balance_set_on_the_customer_is_a_transaction(db, rates):
    api = ApiClient(api_key())
    customer = api.ok("POST", "/v1/customers", {"name": "株式会社残高", "balance": -1000})
    assert (customer["balance"], customer["currency"]) == (-1000, "jpy")
    cid = customer["id"]
    mark = last_event_id()

    updated = api.ok("POST", f"/v1/customers/{cid}", {"balance": -400, "name": "株式会社残高（新）"})
    api.ok("POST", f"/v1/customers/{cid}", {"balance": -400})  # unchanged: nothing to record

    assert updated["balance"] == -400
    listed = api.ok("GET", f"/v1/customers/{cid}/balance_transactions")["data"]
    assert [(t["type"], t["amount"], t["ending_balance"]) for t in listed] == [
        ("adjustment", 600, -400),
        ("initial", -1000, -1000),
    ]
    # One event for the update, as for any other field.
    [event] = [e for e in events_since(mark) if e.type == "customer.updated"]
    assert event.data["previous_attributes"] == {"balance": -1000, "name": "株式会社残高"}
    assert balance_explained(Customer.objects.get(id=cid))

    error = api.post(f"/v1/customers/{cid}", {"balance": ""}).error
    assert (error["code"], error["param"]) == ("parameter_invalid_empty", "balance")
    assert Customer.objects.get(id=cid).balance == -400


def test_voiding_an_invoice_gives_back_the_balance_it_used(make_customer, rates):
    from seikyu.billing.services.invoices import void_invoice

    customer = make_customer()
    create_balance_transaction(customer.id, {"amount": -300, "currency": "jpy"}, livemode=False)
    invoice = finalize_invoice(draft(customer, 1000, rates))
    untouched = finalize_invoice(draft(customer, 500, rates))  # the balance was used up: nothing to give back
    mark = last_event_id()

    void_invoice(invoice)
    void_invoice(untouched)

    assert ledger(customer) == [
        ("adjustment", -300, -300, None),
        ("applied_to_invoice", 300, 0, invoice.id),
        ("unapplied_from_invoice", -300, -300, invoice.id),
    ]
    assert balance_explained(customer)
    types = [e.type for e in events_since(mark)]
    assert types.count("customer.updated") == 1 and types.count("invoice.voided") == 2


def test_a_balance_in_one_currency_is_not_applied_to_an_invoice_in_another(make_customer, rates):
    customer = make_customer()
    create_balance_transaction(customer.id, {"amount": -300, "currency": "jpy"}, livemode=False)
    create_invoice_item({"customer": customer.id, "amount": 1000, "currency": "usd"}, livemode=False)
    dollars = create_manual_invoice({"customer": customer.id, "currency": "usd"}, livemode=False)
    assert (dollars.starting_balance, dollars.amount_due) == (0, 1000)

    dollars = finalize_invoice(dollars)
    yen = finalize_invoice(draft(customer, 1000, rates))

    assert (dollars.starting_balance, dollars.ending_balance, dollars.amount_due) == (0, 0, 1000)
    assert (yen.starting_balance, yen.ending_balance, yen.amount_due) == (-300, 0, 800)
    assert ledger(customer) == [("adjustment", -300, -300, None), ("applied_to_invoice", 300, 0, yen.id)]
    assert balance_explained(customer)
