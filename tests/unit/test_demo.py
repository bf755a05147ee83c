"""The demo company is made by the engine itself: real invoices, payments and churn over months."""

from collections import Counter

import pytest

from seikyu.billing.models import Customer, Invoice, Subscription
from seikyu.billing.models import TestClock as Clock
from seikyu.demo.services import create_demo_company
from seikyu.events.models import Event


@pytest.mark.django_db(transaction=True)
def test_demo_company_has_a_history_made_by_the_engine_and_is_made_once():
    counts = create_demo_company(customers_count=24, months=6, seed=7)

    customers = Customer.objects.filter(livemode=False, metadata__demo="seikyu")
    assert counts["customers"] == customers.count() == 24
    assert {tuple(locales) for locales in customers.values_list("preferred_locales", flat=True)} <= {("ja",), ("en",)}
    # Every customer lives on a test clock that was advanced to (about) now and is ready.
    assert not customers.filter(test_clock__isnull=True).exists()
    assert set(Clock.objects.values_list("status", flat=True)) == {"ready"}

    statuses = Counter(Subscription.objects.filter(livemode=False).values_list("status", flat=True))
    assert statuses["active"] > 0
    assert sum(statuses.values()) == 24
    invoices = Invoice.objects.filter(livemode=False)
    reasons = Counter(invoices.values_list("billing_reason", flat=True))
    # Months of renewals, not just sign-up invoices.
    assert reasons["subscription_cycle"] > reasons["subscription_create"] / 2
    assert invoices.filter(status="paid", total__gt=0).exists()
    # Every invoice's total is its subtotal plus the 10 % exclusive tax, rounded once.
    for inv in invoices.filter(status="paid", total__gt=0)[:50]:
        assert inv.total == inv.subtotal - sum(d["amount"] for d in inv.total_discount_amounts) + sum(
            t["amount"] for t in inv.total_taxes
        )
    assert Event.objects.filter(type="invoice.paid").count() == invoices.filter(status="paid").count()

    again = create_demo_company(customers_count=24, months=6, seed=7)
    assert again == counts
    assert Customer.objects.filter(livemode=False).count() == 24
