"""What payments (and their absence) do to a subscription: dunning, send_invoice due dates,
incomplete first payments, trials ending without a card."""

from __future__ import annotations

import pytest

from seikyu.billing.models import Invoice, Subscription
from seikyu.billing.services.payment_methods import attach_payment_method
from seikyu.billing.services.settings import get_billing_settings
from seikyu.billing.services.subscriptions import create_subscription, resume_subscription, update_subscription
from seikyu.core.errors import CardError

from .conftest import DAY, HOUR, START, advance, events, fresh, invoices_of, subscribe

Status = Subscription.Status


def _switch_to_failing_card(customer, sub):
    failing = attach_payment_method("pm_card_chargeCustomerFail", customer, livemode=False)
    return update_subscription(sub.id, {"default_payment_method": failing.id}, livemode=False)


@pytest.mark.parametrize(
    ("after_retries", "final_status"),
    [("cancel", Status.CANCELED), ("unpaid", Status.UNPAID), ("past_due", Status.PAST_DUE)],
)
def test_a_card_that_keeps_failing_goes_past_due_retries_then_meets_the_configured_end(
    jpy, on_clock, after_retries, final_status
):
    settings = get_billing_settings(False)
    settings.subscription_after_retries = after_retries
    settings.save()
    customer, clock = on_clock()
    sub = subscribe(customer, jpy.monthly)
    period_end = sub.current_period_end
    _switch_to_failing_card(customer, sub)

    advance(clock, period_end + 2 * HOUR)
    sub = fresh(sub)
    assert sub.status == Status.PAST_DUE
    renewal = invoices_of(customer)[-1]
    assert (renewal.status, renewal.attempt_count) == ("open", 1)
    change = [e for e in events("customer.subscription.updated", sub.id) if "status" in e.data["previous_attributes"]]
    assert [(e.data["previous_attributes"]["status"], e.data["object"]["status"]) for e in change] == [
        ("active", "past_due")
    ]

    # Still past due between retries…
    advance(clock, period_end + 5 * DAY)
    assert fresh(sub).status == Status.PAST_DUE
    # …and after the last one (the default schedule ends 16 days after the first failure):
    advance(clock, period_end + 17 * DAY)
    sub = fresh(sub)
    assert sub.status == final_status
    renewal.refresh_from_db()
    assert renewal.attempt_count == 5
    if final_status == Status.CANCELED:
        assert sub.cancellation_details["reason"] == "payment_failed"
        assert len(events("customer.subscription.deleted", sub.id)) == 1
        assert sub.next_action_at is None


def test_paying_the_overdue_invoice_makes_the_subscription_active_again(jpy, on_clock):
    from seikyu.billing.services.invoices import pay_invoice

    customer, clock = on_clock()
    sub = subscribe(customer, jpy.monthly)
    _switch_to_failing_card(customer, sub)
    advance(clock, sub.current_period_end + 2 * HOUR)
    assert fresh(sub).status == Status.PAST_DUE
    pay_invoice(invoices_of(customer)[-1], now=clock.frozen_time, paid_out_of_band=True)
    assert fresh(sub).status == Status.ACTIVE


def test_send_invoice_subscriptions_go_past_due_after_the_due_date(jpy, on_clock):
    customer, clock = on_clock(card=None)
    sub = subscribe(customer, jpy.monthly, collection_method="send_invoice", days_until_due=14)
    assert sub.status == Status.ACTIVE
    first = invoices_of(customer)[0]
    assert (first.status, first.collection_method) == ("open", "send_invoice")
    assert first.due_date == START + 14 * DAY
    advance(clock, START + 13 * DAY)
    assert fresh(sub).status == Status.ACTIVE
    advance(clock, START + 15 * DAY)
    assert fresh(sub).status == Status.PAST_DUE
    assert len(events("invoice.overdue", first.id)) == 1
    # The next period is still invoiced (and sent); paying the latest invoice settles the status.
    advance(clock, START + 31 * DAY)
    second = invoices_of(customer)[-1]
    assert (second.billing_reason, second.status) == ("subscription_cycle", "open")


def test_a_declined_first_payment_leaves_the_subscription_incomplete_then_it_expires_after_23_hours(jpy, on_clock):
    customer, clock = on_clock(card="pm_card_chargeCustomerFail")
    sub = subscribe(customer, jpy.monthly)
    assert sub.status == Status.INCOMPLETE
    first = invoices_of(customer)[0]
    assert (first.status, first.attempt_count) == ("open", 1)
    assert [e.data["object"]["status"] for e in events("customer.subscription.created", sub.id)] == ["incomplete"]

    advance(clock, START + 22 * HOUR)
    assert fresh(sub).status == Status.INCOMPLETE
    advance(clock, START + 24 * HOUR)
    sub = fresh(sub)
    assert sub.status == Status.INCOMPLETE_EXPIRED
    assert sub.ended_at == START + 23 * HOUR
    first.refresh_from_db()
    assert first.status == Invoice.Status.VOID
    # It never started, so nothing renews it.
    advance(clock, START + 40 * DAY)
    assert len(invoices_of(customer)) == 1


def test_error_if_incomplete_refuses_with_the_decline_and_creates_nothing(jpy, on_clock):
    customer, _ = on_clock(card="pm_card_chargeCustomerFail")
    with pytest.raises(CardError) as declined:
        create_subscription(
            {"customer": customer.id, "items": [{"price": jpy.monthly.id}], "payment_behavior": "error_if_incomplete"},
            livemode=False,
        )
    assert declined.value.code == "card_declined"
    assert not Subscription.objects.filter(customer=customer).exists()
    assert not Invoice.objects.filter(customer=customer).exists()
    assert not events("customer.subscription.created")


def test_default_incomplete_leaves_the_first_invoice_open_for_the_customer_to_pay(jpy, on_clock):
    customer, _ = on_clock()
    sub = subscribe(customer, jpy.monthly, payment_behavior="default_incomplete")
    assert sub.status == Status.INCOMPLETE
    first = invoices_of(customer)[0]
    assert (first.status, first.attempt_count) == ("open", 0)


def test_a_card_needing_authentication_leaves_the_first_payment_incomplete(jpy, on_clock):
    customer, _ = on_clock(card="pm_card_authenticationRequired")
    sub = subscribe(customer, jpy.monthly)
    assert sub.status == Status.INCOMPLETE


@pytest.mark.parametrize("behavior", ["cancel", "pause", "create_invoice"])
def test_a_trial_ending_without_a_payment_method(jpy, on_clock, behavior):
    customer, clock = on_clock(card=None)
    sub = subscribe(
        customer,
        jpy.monthly,
        trial_period_days=7,
        trial_settings={"end_behavior": {"missing_payment_method": behavior}},
    )
    assert sub.status == Status.TRIALING
    advance(clock, START + 7 * DAY + 2 * HOUR)
    sub = fresh(sub)
    if behavior == "cancel":
        assert (sub.status, sub.ended_at) == (Status.CANCELED, START + 7 * DAY)
        assert len(invoices_of(customer)) == 1
    elif behavior == "pause":
        assert sub.status == Status.PAUSED
        assert len(events("customer.subscription.paused", sub.id)) == 1
        assert len(invoices_of(customer)) == 1
        advance(clock, START + 60 * DAY)  # paused: nothing is billed
        assert len(invoices_of(customer)) == 1
    else:
        # An invoice is made and cannot be charged: the subscription is past due.
        assert sub.status == Status.PAST_DUE
        renewal = invoices_of(customer)[-1]
        assert (renewal.billing_reason, renewal.status, renewal.total) == ("subscription_cycle", "open", 5000)


def test_resuming_a_paused_subscription_starts_a_new_paid_period_now(jpy, on_clock):
    customer, clock = on_clock(card=None)
    sub = subscribe(
        customer, jpy.monthly, trial_period_days=7, trial_settings={"end_behavior": {"missing_payment_method": "pause"}}
    )
    advance(clock, START + 10 * DAY)
    pm = attach_payment_method("pm_card_visa", customer, livemode=False)
    update_subscription(sub.id, {"default_payment_method": pm.id}, livemode=False)
    sub = resume_subscription(sub.id, {"billing_cycle_anchor": "now"}, livemode=False)
    assert sub.status == Status.ACTIVE
    assert (sub.current_period_start, sub.billing_cycle_anchor) == (START + 10 * DAY, START + 10 * DAY)
    assert (sub.latest_invoice.status, sub.latest_invoice.total) == ("paid", 5000)
    assert len(events("customer.subscription.resumed", sub.id)) == 1
    with pytest.raises(Exception, match="paused"):
        resume_subscription(sub.id, {}, livemode=False)


def test_a_send_invoice_long_overdue_meets_the_configured_end(jpy, on_clock):
    settings = get_billing_settings(False)
    settings.send_invoice_overdue_days = 10
    settings.subscription_after_retries = "cancel"
    settings.save()
    customer, clock = on_clock(card=None)
    sub = subscribe(customer, jpy.monthly, collection_method="send_invoice", days_until_due=7)
    advance(clock, START + 8 * DAY)
    assert fresh(sub).status == Status.PAST_DUE
    advance(clock, START + 18 * DAY)
    sub = fresh(sub)
    assert (sub.status, sub.cancellation_details["reason"]) == (Status.CANCELED, "payment_failed")


def test_a_yearly_send_invoice_subscription_with_30_days_to_pay_goes_past_due_on_day_31(jpy, on_clock):
    customer, clock = on_clock(card=None)
    sub = subscribe(customer, jpy.yearly, collection_method="send_invoice", days_until_due=30)
    first = invoices_of(customer)[0]
    assert (first.status, first.total, first.due_date) == ("open", 50000, START + 30 * DAY)
    advance(clock, START + 30 * DAY - HOUR)
    assert fresh(sub).status == Status.ACTIVE
    advance(clock, START + 31 * DAY)
    assert fresh(sub).status == Status.PAST_DUE
    assert len(events("invoice.overdue", first.id)) == 1
