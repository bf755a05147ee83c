"""Pausing collection, discounts on subscriptions, future billing anchors and renewal notices."""

from __future__ import annotations

import datetime as dt

import pytest

from seikyu.billing.models import Discount, Invoice, Subscription
from seikyu.billing.services import catalog
from seikyu.billing.services.settings import get_billing_settings
from seikyu.billing.services.subscriptions import delete_subscription_discount, update_subscription
from seikyu.core.clock import to_unix
from seikyu.core.errors import InvalidRequest, ResourceMissing

from .conftest import DAY, HOUR, START, advance, events, fresh, invoices_of, subscribe

Status = Subscription.Status


@pytest.mark.parametrize(
    ("behavior", "invoice_status"),
    [("keep_as_draft", "draft"), ("mark_uncollectible", "uncollectible"), ("void", "void")],
)
def test_pause_collection_keeps_the_service_but_not_the_payments(jpy, on_clock, behavior, invoice_status):
    customer, clock = on_clock()
    sub = subscribe(customer, jpy.monthly)
    sub = update_subscription(sub.id, {"pause_collection": {"behavior": behavior}}, livemode=False)
    assert sub.pause_collection == {"behavior": behavior, "resumes_at": None}
    advance(clock, sub.current_period_end + 3 * HOUR)
    renewal = invoices_of(customer)[-1]
    assert (renewal.billing_reason, renewal.status, renewal.amount_paid) == ("subscription_cycle", invoice_status, 0)
    assert fresh(sub).status == Status.ACTIVE


def test_pause_collection_ends_by_itself_at_resumes_at(jpy, on_clock):
    customer, clock = on_clock()
    sub = subscribe(customer, jpy.monthly)
    resumes = START + 40 * DAY
    update_subscription(
        sub.id, {"pause_collection": {"behavior": "void", "resumes_at": to_unix(resumes)}}, livemode=False
    )
    advance(clock, START + 65 * DAY)
    statuses = [inv.status for inv in invoices_of(customer)]
    assert statuses == ["paid", "void", "paid"]  # May voided; June collected again
    assert fresh(sub).pause_collection is None
    cleared = [
        e
        for e in events("customer.subscription.updated", sub.id)
        if "pause_collection" in e.data["previous_attributes"]
    ]
    assert cleared[-1].created == resumes


def test_clearing_pause_collection_with_an_empty_value(jpy, on_clock):
    customer, _ = on_clock()
    sub = subscribe(customer, jpy.monthly)
    update_subscription(sub.id, {"pause_collection": {"behavior": "keep_as_draft"}}, livemode=False)
    sub = update_subscription(sub.id, {"pause_collection": None}, livemode=False)
    assert sub.pause_collection is None


def test_a_once_coupon_discounts_the_first_paid_invoice_only(jpy, on_clock):
    coupon = catalog.create_coupon({"percent_off": "20", "duration": "once"}, livemode=False)
    customer, clock = on_clock()
    sub = subscribe(customer, jpy.monthly, discounts=[{"coupon": coupon.id}])
    first = invoices_of(customer)[0]
    assert (first.subtotal, first.total) == (5000, 4000)
    coupon.refresh_from_db()
    assert coupon.times_redeemed == 1
    advance(clock, sub.current_period_end + 2 * HOUR)
    assert invoices_of(customer)[-1].total == 5000
    assert fresh(sub).discounts.filter(ended_at__isnull=True).count() == 0


def test_a_forever_promotion_code_keeps_discounting_until_removed(jpy, on_clock):
    coupon = catalog.create_coupon({"amount_off": 1000, "currency": "jpy", "duration": "forever"}, livemode=False)
    promo = catalog.create_promotion_code(
        {"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "SPRING"}, livemode=False
    )
    customer, clock = on_clock()
    sub = subscribe(customer, jpy.monthly, discounts=[{"promotion_code": promo.id}])
    assert invoices_of(customer)[0].total == 4000
    advance(clock, sub.current_period_end + 2 * HOUR)
    assert invoices_of(customer)[-1].total == 4000
    removed = delete_subscription_discount(sub.id, livemode=False)
    assert removed["deleted"] is True
    assert Discount.objects.get(id=removed["id"]).ended_at is not None
    advance(clock, fresh(sub).current_period_end + 2 * HOUR)
    assert invoices_of(customer)[-1].total == 5000


def test_an_invalid_discount_is_refused_with_its_parameter(jpy, on_clock):
    customer, _ = on_clock()
    with pytest.raises(ResourceMissing) as refused:
        subscribe(customer, jpy.monthly, discounts=[{"coupon": "NOPE"}])
    assert refused.value.param == "discounts[0][coupon]"
    expired = catalog.create_coupon({"percent_off": "10", "duration": "once", "max_redemptions": 1}, livemode=False)
    subscribe(customer, jpy.monthly, discounts=[{"coupon": expired.id}])
    with pytest.raises(InvalidRequest) as used_up:
        subscribe(customer, jpy.yearly, discounts=[{"coupon": expired.id}])
    assert (used_up.value.code, used_up.value.param) == ("coupon_expired", "discounts[0][coupon]")
    assert Subscription.objects.filter(customer=customer).count() == 1


def test_a_future_billing_cycle_anchor_prorates_the_first_short_period(jpy, on_clock):
    customer, clock = on_clock()
    # The full period ending at the anchor is Mar 16 – Apr 16 (31 days); 15 of them are billed.
    anchor = dt.datetime(2026, 4, 16, tzinfo=dt.UTC)
    sub = subscribe(customer, jpy.monthly, billing_cycle_anchor=to_unix(anchor))
    assert sub.status == Status.ACTIVE
    assert (sub.current_period_start, sub.current_period_end, sub.billing_cycle_anchor) == (START, anchor, anchor)
    first = invoices_of(customer)[0]
    assert first.total == 2419  # 5000 × 15/31, rounded half up
    assert [line.proration for line in first.lines.all()] == [True]
    advance(clock, anchor + 2 * HOUR)
    renewal = invoices_of(customer)[-1]
    assert renewal.total == 5000
    assert fresh(sub).current_period_end == dt.datetime(2026, 5, 16, tzinfo=dt.UTC)


def test_a_future_anchor_without_proration_bills_nothing_until_the_anchor(jpy, on_clock):
    customer, _ = on_clock()
    anchor = START + 15 * DAY
    subscribe(customer, jpy.monthly, billing_cycle_anchor=to_unix(anchor), proration_behavior="none")
    assert invoices_of(customer)[0].total == 0


def test_invoice_upcoming_comes_once_per_period_with_the_next_invoice_and_no_id(jpy, on_clock):
    settings = get_billing_settings(False)
    settings.upcoming_renewal_days = 7
    settings.save()
    customer, clock = on_clock()
    sub = subscribe(customer, jpy.monthly, default_tax_rates=[jpy.tax_10.id])
    advance(clock, START + 60 * DAY)
    notices = [e for e in events("invoice.upcoming") if e.data["object"]["customer"] == customer.id]
    assert [e.created for e in notices] == [
        dt.datetime(2026, 4, 24, tzinfo=dt.UTC),
        dt.datetime(2026, 5, 25, tzinfo=dt.UTC),
    ]
    upcoming = notices[0].data["object"]
    assert upcoming["id"] is None
    assert (upcoming["total"], upcoming["billing_reason"]) == (5500, "upcoming")
    # The preview was not kept: the only invoices are the real ones.
    assert [inv.billing_reason for inv in invoices_of(customer)] == ["subscription_create", "subscription_cycle"]
    assert not Invoice.objects.filter(customer=customer, status="draft").exists()
    assert fresh(sub).upcoming_sent_for_period_end == dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
