"""The subscribers run inside the bill run's transactions: a batch of events costs the same
few queries whatever its size."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from seikyu.events.models import Event
from seikyu.notifications.models import OutboundEmail, ScheduledNotice
from seikyu.notifications.subscribers import on_card_events, on_invoice_events, on_subscription_events

from .conftest import new_customer, subscribe


def queries(handler, events) -> int:
    with CaptureQueriesContext(connection) as captured:
        handler(events)
    return len(captured.captured_queries)


def test_each_subscriber_costs_the_same_for_3_events_as_for_15(business, plans):
    for n in range(15):
        customer = new_customer(None, email=f"c{n}@example.jp")
        subscribe(customer, plans.monthly, plans.tax)
    OutboundEmail.objects.all().delete()
    ScheduledNotice.objects.all().delete()
    for handler, types in (
        (on_invoice_events, ["invoice.paid", "invoice.finalized"]),
        (on_subscription_events, ["customer.subscription.created"]),
        (on_card_events, ["customer.updated"]),
    ):
        events = list(Event.objects.filter(type__in=types).order_by("created", "id"))
        assert len(events) >= 15
        few, many = queries(handler, events[:3]), queries(handler, events)
        assert few == many <= 8, (handler.__name__, few, many)
    assert OutboundEmail.objects.filter(kind="payment_succeeded").count() == 15
    assert ScheduledNotice.objects.filter(kind="upcoming_renewal").count() == 15
    assert ScheduledNotice.objects.filter(kind="card_expiring").count() == 15
