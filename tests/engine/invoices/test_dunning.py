"""The invoice side of the billing clock: draft windows, payment retries on the schedule, the end
behaviours, send_invoice due dates, and idempotency."""

from __future__ import annotations

import datetime as dt

import pytest

from seikyu.billing.models import Charge, Invoice
from seikyu.billing.services.customers import update_customer
from seikyu.billing.services.invoices import finalize_invoice, pay_invoice, process_due_invoices
from seikyu.billing.services.payment_methods import attach_payment_method
from seikyu.billing.services.settings import get_billing_settings
from seikyu.billing.services.test_clocks import create_test_clock
from seikyu.core.errors import CardError

from .conftest import DAY, NOW

HOUR = dt.timedelta(hours=1)


def run(now: dt.datetime, clock: str | None = None) -> int:
    return process_due_invoices(now=now, test_clock_id=clock, limit=100)


def _settings(**values: object) -> None:
    settings = get_billing_settings(False)
    for name, value in values.items():
        setattr(settings, name, value)
    settings.save()


def test_a_draft_finalizes_after_the_window_and_is_charged(make_customer, make_invoice, events):
    customer = make_customer(card="pm_card_visa")
    invoice = make_invoice(customer, [(1000, [])], auto_advance=True)
    assert (invoice.automatically_finalizes_at, invoice.next_action_at) == (NOW + HOUR, NOW + HOUR)
    assert run(NOW + HOUR - dt.timedelta(seconds=1)) == 0
    with events.capture():
        assert run(NOW + HOUR) == 1
    invoice.refresh_from_db()
    assert (invoice.status, invoice.finalized_at, invoice.paid_at, invoice.next_action_at) == (
        "paid",
        NOW + HOUR,
        NOW + HOUR,
        None,
    )
    assert events.types(invoice.id) == ["invoice.finalized", "invoice.paid", "invoice.payment_succeeded"]
    assert run(NOW + 2 * HOUR) == 0


def test_a_zero_draft_window_finalizes_and_charges_at_creation(make_customer, make_invoice):
    _settings(invoice_draft_window_seconds=0)
    customer = make_customer(card="pm_card_visa")
    invoice = make_invoice(customer, [(1000, [])], auto_advance=True)
    assert (invoice.status, invoice.finalized_at, invoice.amount_paid) == ("paid", NOW, 1000)


def _failing_renewal(make_customer, make_invoice) -> Invoice:
    customer = make_customer(card="pm_card_chargeCustomerFail")
    invoice = make_invoice(customer, [(1000, [])], auto_advance=True)
    run(NOW + HOUR)
    invoice.refresh_from_db()
    return invoice


def test_retries_follow_the_schedule_then_the_invoice_is_written_off(make_customer, make_invoice, events):
    start = NOW + HOUR
    with events.capture():
        invoice = _failing_renewal(make_customer, make_invoice)
        assert (invoice.status, invoice.attempt_count, invoice.next_payment_attempt) == ("open", 1, start + DAY)
        # Retries 1, 3, 5 and 7 days apart (the default schedule), each at its time and not before.
        at = start
        for attempt, gap in enumerate([1, 3, 5, 7], start=2):
            at += gap * DAY
            assert run(at - dt.timedelta(seconds=1)) == 0
            assert run(at) == 1
            invoice.refresh_from_db()
            assert invoice.attempt_count == attempt
    assert at == start + 16 * DAY
    assert (invoice.status, invoice.marked_uncollectible_at, invoice.next_payment_attempt) == (
        "uncollectible",
        at,
        None,
    )
    assert invoice.next_action_at is None
    assert events.types(invoice.id).count("invoice.payment_failed") == 5
    assert events.types(invoice.id)[-2:] == ["invoice.payment_failed", "invoice.marked_uncollectible"]
    assert Charge.objects.filter(status="failed", payment_intent__invoice=invoice).count() == 5
    assert run(at + 30 * DAY) == 0


def test_the_invoice_may_stay_open_when_retries_are_exhausted(make_customer, make_invoice):
    _settings(invoice_after_retries="open", retry_schedule_days=[2])
    invoice = _failing_renewal(make_customer, make_invoice)
    assert run(NOW + HOUR + 2 * DAY) == 1
    invoice.refresh_from_db()
    assert (invoice.status, invoice.attempt_count, invoice.next_payment_attempt, invoice.next_action_at) == (
        "open",
        2,
        None,
        None,
    )


def test_a_retry_uses_the_card_the_customer_added_meanwhile(make_customer, make_invoice):
    invoice = _failing_renewal(make_customer, make_invoice)
    customer = invoice.customer
    card = attach_payment_method("pm_card_visa", customer, livemode=False)
    update_customer(customer.id, {"invoice_settings": {"default_payment_method": card.id}}, livemode=False)
    run(NOW + HOUR + DAY)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.attempt_count, invoice.amount_paid) == ("paid", 2, 1000)


def test_paying_by_hand_between_retries_stops_them(make_customer, make_invoice):
    invoice = _failing_renewal(make_customer, make_invoice)
    pay_invoice(invoice, paid_out_of_band=True)
    assert (invoice.next_action_at, invoice.next_payment_attempt) == (None, None)
    assert run(NOW + 30 * DAY) == 0


def test_a_failed_manual_payment_counts_towards_the_schedule(make_customer, make_invoice):
    invoice = _failing_renewal(make_customer, make_invoice)
    with pytest.raises(CardError):
        pay_invoice(invoice, now=NOW + 2 * HOUR)
    invoice.refresh_from_db()
    assert (invoice.attempt_count, invoice.next_payment_attempt) == (2, NOW + 2 * HOUR + 3 * DAY)


def test_authentication_required_is_not_retried_but_ends_with_the_schedule(make_customer, make_invoice, events):
    customer = make_customer(card="pm_card_authenticationRequired")
    invoice = make_invoice(customer, [(1000, [])], auto_advance=True)
    with events.capture():
        run(NOW + HOUR)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.attempt_count, invoice.next_payment_attempt) == ("open", 1, None)
    assert invoice.next_action_at == NOW + HOUR + 16 * DAY
    assert "invoice.payment_action_required" in events.types(invoice.id)
    assert run(NOW + HOUR + 16 * DAY - dt.timedelta(seconds=1)) == 0
    assert run(NOW + HOUR + 16 * DAY) == 1
    invoice.refresh_from_db()
    assert (invoice.status, invoice.attempt_count, invoice.next_action_at) == ("uncollectible", 1, None)


def test_invoices_without_auto_advance_are_not_retried(make_customer, make_invoice):
    customer = make_customer(card="pm_card_chargeCustomerFail")
    invoice = finalize_invoice(make_invoice(customer, [(1000, [])]))
    with pytest.raises(CardError):
        pay_invoice(invoice)
    invoice.refresh_from_db()
    assert (invoice.attempt_count, invoice.next_payment_attempt, invoice.next_action_at) == (1, None, None)


def test_send_invoice_becomes_overdue_once_then_gets_the_end_behaviour(customer, make_invoice, events):
    invoice = finalize_invoice(
        make_invoice(customer, [(1000, [])], collection_method="send_invoice", days_until_due=30)
    )
    due = NOW + 30 * DAY
    assert (invoice.due_date, invoice.next_action_at) == (due, due)
    with events.capture():
        assert run(due) == 1
        assert run(due) == 0
    invoice.refresh_from_db()
    assert (invoice.status, invoice.overdue_sent_at, invoice.next_action_at) == ("open", due, due + 30 * DAY)
    assert events.types(invoice.id) == ["invoice.overdue"]
    assert run(due + 30 * DAY) == 1
    invoice.refresh_from_db()
    assert (invoice.status, invoice.next_action_at) == ("uncollectible", None)


def test_send_invoice_without_an_overdue_end(customer, make_invoice):
    _settings(send_invoice_overdue_days=None)
    invoice = finalize_invoice(make_invoice(customer, [(1000, [])], collection_method="send_invoice", days_until_due=1))
    run(NOW + DAY)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.overdue_sent_at, invoice.next_action_at) == ("open", NOW + DAY, None)


def test_each_clock_processes_only_its_own_invoices(make_customer, make_invoice):
    clock = create_test_clock({"frozen_time": int(NOW.timestamp())}, livemode=False)
    on_clock = make_customer(card="pm_card_visa", test_clock=clock.id)
    real = make_customer(card="pm_card_visa")
    clocked = make_invoice(on_clock, [(100, [])], auto_advance=True)
    unclocked = make_invoice(real, [(100, [])], auto_advance=True)
    assert clocked.test_clock_id == clock.id
    assert run(NOW + HOUR, clock.id) == 1
    clocked.refresh_from_db()
    unclocked.refresh_from_db()
    assert (clocked.status, unclocked.status) == ("paid", "draft")
    assert run(NOW + HOUR) == 1


def test_an_auto_advancing_send_invoice_draft_is_finalized_and_sent(customer, make_invoice, events):
    invoice = make_invoice(
        customer, [(1000, [])], auto_advance=True, collection_method="send_invoice", days_until_due=10
    )
    with events.capture():
        run(NOW + HOUR)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.due_date, invoice.next_action_at) == (
        "open",
        NOW + HOUR + 10 * DAY,
        NOW + HOUR + 10 * DAY,
    )
    assert events.types(invoice.id) == ["invoice.finalized", "invoice.sent"]
