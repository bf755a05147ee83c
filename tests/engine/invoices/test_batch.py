"""``create_invoices`` as the bill run uses it: whole batches, a bounded number of queries,
pending items pulled once, and cycle keys that make a second run a no-op."""

from __future__ import annotations

import datetime as dt

import pytest

from seikyu.billing.models import Customer, Discount, Invoice, InvoiceItem, InvoiceLineItem, PaymentMethod
from seikyu.billing.services.catalog import new_discount
from seikyu.billing.services.drafts import InvoiceDraft, LineDraft
from seikyu.billing.services.invoice_items import create_invoice_item
from seikyu.billing.services.invoices import create_invoice, create_invoices, process_due_invoices
from seikyu.core.ids import new_id
from seikyu.events.models import Event

from .conftest import DAY, NOW


def _draft(customer_id: str, *, key: str | None, rate_ids: list[str], discount_ids: list[str] = ()) -> InvoiceDraft:
    lines = [
        LineDraft(description="Pro × 1", amount=5000, currency="jpy", period_start=NOW, period_end=NOW + 30 * DAY),
        LineDraft(
            description="Seats × 3",
            amount=3 * 333,
            currency="jpy",
            period_start=NOW,
            period_end=NOW + 30 * DAY,
            quantity=3,
            unit_amount=333,
            tax_rate_ids=rate_ids[1:],
        ),
    ]
    return InvoiceDraft(
        customer_id=customer_id,
        currency="jpy",
        livemode=False,
        created=NOW,
        billing_reason="subscription_cycle",
        period_start=NOW - 30 * DAY,
        period_end=NOW,
        lines=lines,
        default_tax_rate_ids=rate_ids[:1],
        discount_ids=list(discount_ids),
        cycle_key=key,
    )


def _customers(n: int) -> list[Customer]:
    rows = [
        Customer(id=new_id("cus"), created=NOW, name=f"顧客{i}", invoice_prefix=f"B{i:04d}", livemode=False)
        for i in range(n)
    ]
    return Customer.objects.bulk_create(rows)


def test_five_hundred_drafts_take_a_bounded_number_of_queries(db, rates, django_assert_max_num_queries):
    customers = _customers(500)
    drafts = [_draft(c.id, key=f"sub_{c.id}:1", rate_ids=[rates.standard.id, rates.reduced.id]) for c in customers]
    # Constant per batch (15 today): reads of keys, customers, settings, pending items, rates and
    # tax ids, then one insert each of invoices, lines and events.
    with django_assert_max_num_queries(20):
        invoices = create_invoices(drafts)
    assert len(invoices) == 500
    assert Invoice.objects.count() == 500
    assert InvoiceLineItem.objects.count() == 1000
    assert Event.objects.filter(type="invoice.created").count() == 500
    # 10 % on ¥5,000 and 8 % on ¥999 (¥79.92 → ¥79), each invoice on its own.
    assert {(inv.subtotal, inv.total) for inv in invoices} == {(5999, 5999 + 500 + 79)}


def test_a_second_run_bills_nothing_twice(db, rates):
    customers = _customers(3)
    drafts = [_draft(c.id, key=f"sub_{c.id}:1", rate_ids=[rates.standard.id]) for c in customers]
    first = create_invoices(drafts)
    assert len(first) == 3
    # Same keys again, and a duplicate within one batch: nothing new, no error.
    again = create_invoices([*drafts, _draft(customers[0].id, key="sub_new:1", rate_ids=[])])
    assert [inv.cycle_key for inv in again] == ["sub_new:1"]
    assert create_invoice(_draft(customers[1].id, key=drafts[1].cycle_key, rate_ids=[])) is None
    assert len(create_invoices([_draft(customers[2].id, key="dup", rate_ids=[])] * 2)) == 1
    assert Invoice.objects.count() == 5


def test_pending_items_go_to_their_subscription_draft_once(db, customer):
    for amount in (100, 200):
        create_invoice_item({"customer": customer.id, "amount": amount, "currency": "jpy"}, livemode=False)
    create_invoice_item({"customer": customer.id, "amount": 999, "currency": "usd"}, livemode=False)
    manual = _draft(customer.id, key=None, rate_ids=[])
    manual.billing_reason = "manual"
    other = _draft(customer.id, key=None, rate_ids=[])
    first, second = create_invoices([manual, other])
    assert first.subtotal == 5999 + 300
    assert second.subtotal == 5999
    # The USD item waits for a USD invoice.
    assert list(InvoiceItem.objects.filter(invoice__isnull=True).values_list("currency", flat=True)) == ["usd"]


@pytest.mark.parametrize("n", [1, 40])
def test_batch_results_equal_single_results(db, rates, coupon, n):
    """A single invoice is a batch of one: the same draft gives the same amounts either way."""
    customers = _customers(n + 1)
    ten = coupon(percent_off=10, duration="forever")
    discounts = [new_discount(ten, None, c, start=NOW) for c in customers]
    Discount.objects.bulk_create(discounts)
    rate_ids = [rates.standard.id, rates.reduced.id]
    batch = create_invoices(
        [
            _draft(c.id, key=None, rate_ids=rate_ids, discount_ids=[d.id])
            for c, d in zip(customers[:n], discounts, strict=False)
        ]
    )
    single = create_invoice(_draft(customers[n].id, key=None, rate_ids=rate_ids, discount_ids=[discounts[n].id]))
    assert single is not None
    for inv in batch:
        assert (inv.subtotal, inv.total, inv.total_taxes[0]["amount"]) == (
            single.subtotal,
            single.total,
            single.total_taxes[0]["amount"],
        )


def test_finalizing_and_charging_a_batch_takes_a_bounded_number_of_queries(db, rates, django_assert_max_num_queries):
    customers = _customers(200)
    cards = [
        PaymentMethod(
            id=new_id("pm"), created=NOW, customer=c, card_brand="visa", card_last4="4242", sandbox_behavior=b
        )
        for c, b in zip(customers, ["succeed", "fail_on_charge"] * 100, strict=True)
    ]
    PaymentMethod.objects.bulk_create(cards)
    for customer, card in zip(customers, cards, strict=True):
        customer.default_payment_method = card
    Customer.objects.bulk_update(customers, ["default_payment_method"])
    create_invoices([_draft(c.id, key=None, rate_ids=[rates.standard.id]) for c in customers])
    with django_assert_max_num_queries(40):
        assert process_due_invoices(now=NOW + dt.timedelta(hours=1), test_clock_id=None, limit=500) == 200
    assert Invoice.objects.filter(status="paid").count() == 100
    assert Invoice.objects.filter(status="open", attempt_count=1).count() == 100
