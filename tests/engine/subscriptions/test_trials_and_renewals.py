"""Trials converting, renewals on the anchor, and period ends that cancel."""

from __future__ import annotations

import datetime as dt

from seikyu.billing.models import Invoice, Subscription
from seikyu.core.clock import to_unix

from .conftest import DAY, HOUR, START, advance, events, fresh, invoices_of, subscribe

Status = Subscription.Status


def test_a_14_day_trial_with_a_card_converts_on_day_14_and_pays_5500_yen_including_tax(jpy, on_clock):
    customer, clock = on_clock("pm_card_visa")
    sub = subscribe(customer, jpy.monthly, trial_period_days=14, default_tax_rates=[jpy.tax_10.id])
    assert sub.status == Status.TRIALING
    assert sub.trial_end == START + 14 * DAY
    first = invoices_of(customer)[0]
    assert (first.status, first.total, first.billing_reason) == ("paid", 0, "subscription_create")
    created = events("customer.subscription.created", sub.id)
    assert [e.data["object"]["status"] for e in created] == ["trialing"]

    advance(clock, START + 14 * DAY + 2 * HOUR)

    sub = fresh(sub)
    assert sub.status == Status.ACTIVE
    renewal = invoices_of(customer)[-1]
    assert renewal.billing_reason == "subscription_cycle"
    assert (renewal.status, renewal.subtotal, renewal.total, renewal.amount_paid) == ("paid", 5000, 5500, 5500)
    assert renewal.created == START + 14 * DAY
    assert (sub.current_period_start, sub.current_period_end) == (
        START + 14 * DAY,
        dt.datetime(2026, 5, 15, tzinfo=dt.UTC),
    )
    lines = list(renewal.lines.all())
    assert [(line.amount, line.period_start, line.period_end) for line in lines] == [
        (5000, START + 14 * DAY, dt.datetime(2026, 5, 15, tzinfo=dt.UTC))
    ]
    # Three days before the trial ended the customer was told, once.
    reminders = events("customer.subscription.trial_will_end", sub.id)
    assert [e.created for e in reminders] == [START + 11 * DAY]


def test_a_subscription_paid_at_once_renews_every_month_from_a_month_end_anchor(jpy, on_clock):
    customer, clock = on_clock(at=dt.datetime(2026, 1, 31, 9, 0, tzinfo=dt.UTC))
    sub = subscribe(customer, jpy.monthly)
    assert sub.status == Status.ACTIVE
    first = invoices_of(customer)[0]
    assert (first.status, first.amount_paid, first.billing_reason) == ("paid", 5000, "subscription_create")

    advance(clock, dt.datetime(2026, 5, 1, tzinfo=dt.UTC))

    starts = [line.period_start for inv in invoices_of(customer) for line in inv.lines.all()]
    assert starts == [
        dt.datetime(2026, 1, 31, 9, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 2, 28, 9, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 31, 9, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 4, 30, 9, 0, tzinfo=dt.UTC),
    ]
    assert all(inv.status == Invoice.Status.PAID for inv in invoices_of(customer))
    sub = fresh(sub)
    assert sub.current_period_end == dt.datetime(2026, 5, 31, 9, 0, tzinfo=dt.UTC)
    updated = events("customer.subscription.updated", sub.id)
    # Each renewal announces the new period (on the items) and the new latest invoice.
    assert len(updated) == 3
    assert set(updated[0].data["previous_attributes"]) == {"items", "latest_invoice"}


def test_cancel_at_period_end_ends_at_the_renewal_without_billing_again(jpy, on_clock):
    from seikyu.billing.services.subscriptions import update_subscription

    customer, clock = on_clock()
    sub = subscribe(customer, jpy.monthly)
    period_end = sub.current_period_end
    sub = update_subscription(sub.id, {"cancel_at_period_end": True}, livemode=False)
    assert (sub.status, sub.cancel_at_period_end) == (Status.ACTIVE, True)
    change = events("customer.subscription.updated", sub.id)[-1]
    assert change.data["previous_attributes"] == {"cancel_at_period_end": False}

    advance(clock, period_end + 3 * HOUR)

    sub = fresh(sub)
    assert (sub.status, sub.ended_at, sub.canceled_at) == (Status.CANCELED, period_end, period_end)
    assert sub.cancellation_details["reason"] == "cancellation_requested"
    assert sub.next_action_at is None
    assert len(invoices_of(customer)) == 1
    assert [e.data["object"]["status"] for e in events("customer.subscription.deleted", sub.id)] == ["canceled"]


def test_cancel_at_a_time_inside_the_period(jpy, on_clock):
    customer, clock = on_clock()
    sub = subscribe(customer, jpy.monthly, cancel_at=to_unix(START + 10 * DAY))
    advance(clock, START + 20 * DAY)
    sub = fresh(sub)
    assert (sub.status, sub.ended_at) == (Status.CANCELED, START + 10 * DAY)
    assert len(invoices_of(customer)) == 1


def test_running_the_bill_run_twice_bills_each_period_once(jpy, on_clock):
    from seikyu.billing.services.billing_clock import renew
    from seikyu.billing.services.subscription_state import load_bundles

    customer, clock = on_clock()
    sub = subscribe(customer, jpy.monthly)
    renewal_at = sub.current_period_end
    # Two workers that both loaded the subscription before either saved it.
    first_view, second_view = load_bundles([fresh(sub)]), load_bundles([fresh(sub)])
    renew(first_view, now=renewal_at)
    renew(second_view, now=renewal_at)
    cycles = [inv for inv in invoices_of(customer) if inv.billing_reason == "subscription_cycle"]
    assert len(cycles) == 1
    assert cycles[0].cycle_key == f"{sub.id}:{to_unix(renewal_at)}"
    # The clock then finds nothing left to bill for that period.
    advance(clock, renewal_at + 2 * HOUR)
    assert len([inv for inv in invoices_of(customer) if inv.billing_reason == "subscription_cycle"]) == 1


def test_trial_from_plan_uses_the_price_trial_and_a_short_trial_reminds_at_once(jpy, on_clock):
    from seikyu.billing.services import catalog

    trial_price = catalog.create_price(
        {
            "product": jpy.monthly.product_id,
            "currency": "jpy",
            "unit_amount": 3000,
            "recurring": {"interval": "month", "trial_period_days": 2},
        },
        livemode=False,
    )
    customer, clock = on_clock()
    sub = subscribe(customer, trial_price, trial_from_plan=True)
    assert (sub.status, sub.trial_end) == (Status.TRIALING, START + 2 * DAY)
    # Shorter than the 3-day notice: the reminder is due at once.
    assert sub.next_action_at <= START
    advance(clock, START + HOUR)
    assert [e.created for e in events("customer.subscription.trial_will_end", sub.id)] == [START]


def test_weekly_usd_renewals_keep_their_cents_and_weekday(jpy, on_clock):
    customer, clock = on_clock()
    sub = subscribe(customer, jpy.weekly_usd)
    advance(clock, START + 15 * DAY)
    invoices = invoices_of(customer)
    assert [(inv.currency, inv.total) for inv in invoices] == [("usd", 1000)] * 3
    assert fresh(sub).current_period_start == START + 14 * DAY
