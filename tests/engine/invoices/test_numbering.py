"""Invoice numbers: per customer or per account, gap-free, never twice — also when two
finalizations race on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from seikyu.billing.models import Customer
from seikyu.billing.services.customers import create_customer
from seikyu.billing.services.invoices import finalize_invoice, finalize_invoices
from seikyu.billing.services.settings import get_billing_settings

from .conftest import NOW


def test_per_customer_sequences(make_customer, make_invoice):
    alice = make_customer(invoice_prefix="ALICE")
    bob = make_customer(invoice_prefix="BOB")
    numbers = [finalize_invoice(make_invoice(c, [(100, [])])).number for c in (alice, bob, alice, alice)]
    assert numbers == ["ALICE-0001", "BOB-0001", "ALICE-0002", "ALICE-0003"]
    alice.refresh_from_db()
    assert alice.next_invoice_sequence == 4


def test_a_batch_numbers_each_customer_in_order(make_customer, make_invoice):
    alice = make_customer(invoice_prefix="ALICE")
    drafts = [make_invoice(alice, [(100, [])]) for _ in range(3)]
    finalize_invoices(drafts, now=NOW)
    assert sorted(d.number for d in drafts) == ["ALICE-0001", "ALICE-0002", "ALICE-0003"]


def test_account_wide_numbering(make_customer, make_invoice):
    settings = get_billing_settings(False)
    settings.invoice_numbering, settings.account_invoice_prefix = "account", "SEIKYU"
    settings.save()
    numbers = [finalize_invoice(make_invoice(make_customer(), [(100, [])])).number for _ in range(3)]
    assert numbers == ["SEIKYU-0001", "SEIKYU-0002", "SEIKYU-0003"]
    settings.refresh_from_db()
    assert settings.next_account_invoice_sequence == 4


def test_test_and_live_number_independently(make_invoice, db):
    test_customer = create_customer({"name": "t", "invoice_prefix": "SAME"}, livemode=False)
    live_customer = create_customer({"name": "l", "invoice_prefix": "SAME"}, livemode=True)
    assert finalize_invoice(make_invoice(test_customer, [(100, [])])).number == "SAME-0001"
    from seikyu.billing.services.invoice_items import create_invoice_item
    from seikyu.billing.services.invoices import create_manual_invoice

    create_invoice_item({"customer": live_customer.id, "amount": 100, "currency": "jpy"}, livemode=True)
    live = create_manual_invoice({"customer": live_customer.id}, livemode=True)
    assert finalize_invoice(live).number == "SAME-0001"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_finalizations_never_share_a_number(make_customer, make_invoice):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serializes writers anyway")
    customer = make_customer(invoice_prefix="RACE")
    drafts = [make_invoice(customer, [(100, [])]) for _ in range(8)]
    start = threading.Barrier(len(drafts))
    errors: list[BaseException] = []

    def finalize(invoice) -> None:
        try:
            start.wait()
            finalize_invoice(invoice, now=NOW)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=finalize, args=(d,)) for d in drafts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(d.number for d in drafts) == [f"RACE-{n:04d}" for n in range(1, 9)]
    assert Customer.objects.get(id=customer.id).next_invoice_sequence == 9
