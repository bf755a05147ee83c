"""The bill run at scale: a batch of renewals costs a constant number of queries, and two runs
over the same due subscriptions bill each period once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django import db
from django.db import connection

from seikyu.billing.models import Customer, Invoice, PaymentMethod, Subscription, SubscriptionItem
from seikyu.billing.services.billing_clock import run_due_work
from seikyu.core.clock import pinned
from seikyu.core.ids import new_id
from seikyu.events.models import Event

from .conftest import HOUR, START, new_customer, subscribe


def _clone(sub: Subscription, count: int) -> list[str]:
    """``count`` more customers each with a copy of ``sub`` (same schedule): the set-up of a big
    bill run without paying for ``count`` API calls."""
    template = Customer.objects.get(id=sub.customer_id)
    card = PaymentMethod.objects.get(id=template.default_payment_method_id)
    item = sub.items.get()
    customers, cards, subs, items = [], [], [], []
    for n in range(count):
        customer = Customer(**{f.attname: getattr(template, f.attname) for f in Customer._meta.concrete_fields})
        customer.id, customer.invoice_prefix = new_id("cus"), f"C{n:06d}"
        pm = PaymentMethod(**{f.attname: getattr(card, f.attname) for f in PaymentMethod._meta.concrete_fields})
        pm.id, pm.customer_id = new_id("pm"), customer.id
        customer.default_payment_method_id = None
        cards.append(pm)
        clone = Subscription(**{f.attname: getattr(sub, f.attname) for f in Subscription._meta.concrete_fields})
        clone.id, clone.customer_id, clone.latest_invoice_id = new_id("sub"), customer.id, None
        copy = SubscriptionItem(**{f.attname: getattr(item, f.attname) for f in SubscriptionItem._meta.concrete_fields})
        copy.id, copy.subscription_id = new_id("si"), clone.id
        customers.append(customer)
        subs.append(clone)
        items.append(copy)
    Customer.objects.bulk_create(customers)
    PaymentMethod.objects.bulk_create(cards)
    for customer, pm in zip(customers, cards, strict=True):
        customer.default_payment_method_id = pm.id
    Customer.objects.bulk_update(customers, ["default_payment_method"])
    Subscription.objects.bulk_create(subs)
    SubscriptionItem.objects.bulk_create(items)
    return [s.id for s in subs]


def test_renewing_500_subscriptions_takes_a_bounded_number_of_queries(jpy, django_assert_max_num_queries):
    with pinned(START):
        sub = subscribe(new_customer(None), jpy.monthly, default_tax_rates=[jpy.tax_10.id])
    ids = [sub.id, *_clone(sub, 499)]
    renewal = sub.current_period_end
    with django_assert_max_num_queries(35):
        handled = run_due_work(now=renewal + dt.timedelta(seconds=1), batch_size=500)
    assert handled == 500
    cycles = Invoice.objects.filter(subscription_id__in=ids, billing_reason="subscription_cycle")
    assert cycles.count() == 500
    assert set(cycles.values_list("total", flat=True)) == {5500}
    assert Subscription.objects.filter(id__in=ids, current_period_start=renewal).count() == 500
    assert Event.objects.filter(type="customer.subscription.updated", object_id__in=ids).count() == 500

    # A second run at the same instant finds nothing due; an hour later the drafts finalize and are paid.
    assert run_due_work(now=renewal + dt.timedelta(seconds=1), batch_size=500) == 0
    while run_due_work(now=renewal + 2 * HOUR, batch_size=500):
        pass
    assert cycles.filter(status="paid").count() == 500


def test_a_bill_run_interrupted_after_invoicing_does_not_bill_again(jpy):
    """A crash after the invoices were written but before the subscriptions moved on: the next
    run advances them without a second invoice (the cycle key already exists)."""
    with pinned(START):
        sub = subscribe(new_customer(None), jpy.monthly)
    renewal = sub.current_period_end
    run_due_work(now=renewal, batch_size=10)
    Subscription.objects.filter(id=sub.id).update(
        current_period_start=sub.current_period_start, current_period_end=renewal, next_action_at=renewal
    )
    run_due_work(now=renewal + dt.timedelta(minutes=1), batch_size=10)
    assert Invoice.objects.filter(subscription=sub, billing_reason="subscription_cycle").count() == 1
    assert Subscription.objects.get(id=sub.id).current_period_start == renewal


def test_one_broken_subscription_does_not_stop_the_bill_run(jpy, caplog):
    from seikyu.billing.models import Price
    from seikyu.billing.services import catalog

    broken_price = catalog.create_price(
        {"product": jpy.monthly.product_id, "currency": "jpy", "unit_amount": 800, "recurring": {"interval": "month"}},
        livemode=False,
    )
    with pinned(START):
        good = [subscribe(new_customer(None), jpy.monthly) for _ in range(2)]
        bad = subscribe(new_customer(None), broken_price)
    # Data damaged behind the engine's back: the price can no longer be computed.
    Price.objects.filter(id=broken_price.id).update(billing_scheme="tiered", unit_amount=None, tiers=[])
    renewal = bad.current_period_end

    assert run_due_work(now=renewal, batch_size=10) == 3

    for sub in good:
        assert Subscription.objects.get(id=sub.id).current_period_start == renewal
    stuck = Subscription.objects.get(id=bad.id)
    assert stuck.current_period_end == renewal
    assert stuck.next_action_at == renewal + HOUR
    assert not Invoice.objects.filter(subscription=bad, billing_reason="subscription_cycle").exists()
    assert f"subscription {bad.id} failed" in caplog.text


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent workers need PostgreSQL (SKIP LOCKED)")
def test_two_workers_at_once_share_the_due_subscriptions_and_bill_each_once(jpy):
    with pinned(START):
        sub = subscribe(new_customer(None), jpy.monthly)
    ids = [sub.id, *_clone(sub, 199)]
    renewal = sub.current_period_end
    counts: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            while handled := run_due_work(now=renewal, batch_size=25):
                counts.append(handled)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            db.connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(counts) == 200  # every subscription handled once, by one worker or the other
    cycles = Invoice.objects.filter(subscription_id__in=ids, billing_reason="subscription_cycle")
    assert cycles.count() == 200
    assert cycles.values("subscription_id").distinct().count() == 200
