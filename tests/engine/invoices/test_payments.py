"""Paying invoices with the sandbox's test cards, out of band, and refunds."""

from __future__ import annotations

import pytest

from seikyu.billing.models import Charge, Invoice, InvoicePayment, PaymentIntent, PaymentMethod, Refund
from seikyu.billing.services.invoices import collect_invoices, finalize_invoice, pay_invoice
from seikyu.billing.services.payment_methods import attach_payment_method
from seikyu.billing.services.payments import create_refund
from seikyu.core.errors import CardError, InvalidRequest

from .conftest import NOW


def test_pay_with_a_good_card(make_customer, rates, make_invoice, events):
    customer = make_customer(card="pm_card_visa")
    invoice = finalize_invoice(make_invoice(customer, [(5000, [rates.standard.id])]))
    with events.capture():
        pay_invoice(invoice)
    assert (invoice.status, invoice.amount_paid, invoice.amount_remaining, invoice.paid_at) == ("paid", 5500, 0, NOW)
    assert (invoice.attempted, invoice.attempt_count) == (True, 1)
    intent = PaymentIntent.objects.get(invoice=invoice)
    charge = Charge.objects.get(payment_intent=intent)
    assert (intent.status, intent.amount, intent.amount_received, intent.latest_charge_id) == (
        "succeeded",
        5500,
        5500,
        charge.id,
    )
    assert (charge.status, charge.paid, charge.captured, charge.amount_captured) == ("succeeded", True, True, 5500)
    assert charge.payment_method_details["card"]["last4"] == "4242"
    [payment] = InvoicePayment.objects.filter(invoice=invoice)
    assert (payment.status, payment.amount_paid, payment.payment_intent_id) == ("paid", 5500, intent.id)
    assert events.types() == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]


@pytest.mark.parametrize(
    ("card", "code", "decline_code", "message"),
    [
        ("pm_card_chargeCustomerFail", "card_declined", "generic_decline", "Your card was declined."),
        (
            "pm_card_visa_chargeDeclinedInsufficientFunds",
            "card_declined",
            "insufficient_funds",
            "Your card has insufficient funds.",
        ),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card", "Your card has expired."),
        (
            "pm_card_chargeDeclinedIncorrectCvc",
            "incorrect_cvc",
            "incorrect_cvc",
            "Your card's security code is incorrect.",
        ),
        (
            "pm_card_chargeDeclinedProcessingError",
            "processing_error",
            "processing_error",
            "An error occurred while processing your card. Try again in a little bit.",
        ),
    ],
)
def test_declines_raise_card_errors_and_keep_the_failed_attempt(
    make_customer, make_invoice, events, card, code, decline_code, message
):
    customer = make_customer(card=card)
    invoice = finalize_invoice(make_invoice(customer, [(3000, [])]))
    with events.capture(), pytest.raises(CardError) as declined:
        pay_invoice(invoice)
    error = declined.value
    assert (error.code, error.decline_code, error.message, error.http_status) == (code, decline_code, message, 402)
    # The attempt is on record although the call failed.
    invoice = Invoice.objects.get(id=invoice.id)
    assert (invoice.status, invoice.attempted, invoice.attempt_count, invoice.amount_paid) == ("open", True, 1, 0)
    charge = Charge.objects.get(id=error.extra["charge"])
    assert (charge.status, charge.failure_code, charge.failure_message, charge.outcome["reason"]) == (
        "failed",
        code,
        message,
        decline_code,
    )
    intent = PaymentIntent.objects.get(invoice=invoice)
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error["decline_code"] == decline_code
    assert events.types() == [
        "payment_intent.created",
        "charge.failed",
        "payment_intent.payment_failed",
        "invoice.payment_failed",
    ]


def test_a_card_needing_authentication_leaves_the_intent_waiting(make_customer, make_invoice, events):
    customer = make_customer(card="pm_card_authenticationRequired")
    invoice = finalize_invoice(make_invoice(customer, [(3000, [])]))
    with events.capture(), pytest.raises(CardError) as needs_action:
        pay_invoice(invoice)
    assert needs_action.value.code == "invoice_payment_intent_requires_action"
    intent = PaymentIntent.objects.get(invoice=invoice)
    assert (intent.status, intent.next_action["type"]) == ("requires_action", "use_stripe_sdk")
    assert not Charge.objects.filter(payment_intent=intent).exists()
    assert events.types() == [
        "payment_intent.created",
        "payment_intent.requires_action",
        "invoice.payment_action_required",
    ]


def test_retrying_reuses_the_payment_intent(make_customer, make_invoice):
    customer = make_customer(card="pm_card_chargeCustomerFail")
    invoice = finalize_invoice(make_invoice(customer, [(3000, [])]))
    with pytest.raises(CardError):
        pay_invoice(invoice)
    good = attach_payment_method("pm_card_mastercard", customer, livemode=False)
    pay_invoice(invoice, payment_method_id=good.id)
    [intent] = PaymentIntent.objects.filter(invoice=invoice)
    assert (intent.status, intent.payment_method_id, intent.charges.count()) == ("succeeded", good.id, 2)
    assert (invoice.status, invoice.attempt_count) == ("paid", 2)
    assert InvoicePayment.objects.get(invoice=invoice).status == "paid"


def test_paying_a_draft_finalizes_it_first(make_customer, make_invoice, events):
    customer = make_customer(card="pm_card_jcb")
    draft = make_invoice(customer, [(800, [])])
    with events.capture():
        pay_invoice(draft)
    assert (draft.status, draft.number) == ("paid", f"{customer.invoice_prefix}-0001")
    assert events.types(draft.id) == ["invoice.finalized", "invoice.paid", "invoice.payment_succeeded"]


def test_pay_without_a_payment_method_changes_nothing(customer, make_invoice):
    draft = make_invoice(customer, [(800, [])])
    with pytest.raises(InvalidRequest, match="no attached payment method") as missing:
        pay_invoice(draft)
    assert missing.value.param == "payment_method"
    draft.refresh_from_db()
    assert (draft.status, draft.number, draft.attempt_count) == ("draft", None, 0)


def test_pay_with_a_magic_payment_method_attaches_it(customer, make_invoice):
    invoice = finalize_invoice(make_invoice(customer, [(800, [])]))
    pay_invoice(invoice, payment_method_id="pm_card_visa")
    assert invoice.status == "paid"
    assert PaymentMethod.objects.get(customer=customer).card_brand == "visa"


def test_forgive_settles_an_invoice_the_card_cannot_cover(make_customer, make_invoice):
    customer = make_customer(card="pm_card_visa_chargeDeclinedInsufficientFunds")
    invoice = finalize_invoice(make_invoice(customer, [(800, [])]))
    pay_invoice(invoice, forgive=True)
    assert (invoice.status, invoice.amount_paid, invoice.amount_remaining) == ("paid", 0, 0)


def test_collect_charges_only_open_automatic_invoices(make_customer, make_invoice):
    customer = make_customer(card="pm_card_visa")
    draft = make_invoice(customer, [(100, [])])
    send = finalize_invoice(make_invoice(customer, [(200, [])], collection_method="send_invoice", days_until_due=5))
    auto = finalize_invoice(make_invoice(customer, [(300, [])]))
    assert [inv.id for inv in collect_invoices([draft, send, auto], now=NOW)] == [auto.id]
    assert (draft.status, send.status, auto.status) == ("draft", "open", "paid")


def test_the_invoice_default_payment_method_wins(make_customer, make_invoice):
    customer = make_customer(card="pm_card_chargeCustomerFail")
    good = attach_payment_method("pm_card_visa", customer, livemode=False)
    invoice = finalize_invoice(make_invoice(customer, [(300, [])], default_payment_method=good.id))
    collect_invoices([invoice], now=NOW)
    assert invoice.status == "paid"
    assert PaymentIntent.objects.get(invoice=invoice).payment_method_id == good.id


def test_refunds_partial_then_the_rest(make_customer, make_invoice, events):
    customer = make_customer(card="pm_card_visa")
    invoice = pay_invoice(finalize_invoice(make_invoice(customer, [(5000, [])])))
    charge = Charge.objects.get(payment_intent__invoice=invoice)
    with events.capture():
        first = create_refund(livemode=False, charge_id=charge.id, amount=2000, reason="requested_by_customer")
    charge.refresh_from_db()
    assert (first.amount, first.status, charge.amount_refunded, charge.refunded) == (2000, "succeeded", 2000, False)
    assert events.types() == ["refund.created", "charge.refunded"]
    with pytest.raises(InvalidRequest, match=r"greater than the unrefunded amount.*\(3000\)") as too_much:
        create_refund(livemode=False, charge_id=charge.id, amount=3001)
    assert too_much.value.param == "amount"
    rest = create_refund(livemode=False, payment_intent_id=charge.payment_intent_id)
    charge.refresh_from_db()
    assert (rest.amount, charge.amount_refunded, charge.refunded) == (3000, 5000, True)
    with pytest.raises(InvalidRequest, match="already been refunded"):
        create_refund(livemode=False, charge_id=charge.id)
    assert Refund.objects.filter(charge=charge).count() == 2
    invoice.refresh_from_db()
    assert invoice.status == "paid"


def test_a_failed_charge_cannot_be_refunded(make_customer, make_invoice):
    customer = make_customer(card="pm_card_chargeCustomerFail")
    invoice = finalize_invoice(make_invoice(customer, [(500, [])]))
    with pytest.raises(CardError) as declined:
        pay_invoice(invoice)
    with pytest.raises(InvalidRequest, match="did not succeed"):
        create_refund(livemode=False, charge_id=declined.value.extra["charge"])


@pytest.mark.django_db(transaction=True)
def test_a_declined_pay_commits_the_attempt_before_raising(make_customer, make_invoice):
    from django.db import connection

    customer = make_customer(card="pm_card_chargeCustomerFail")
    invoice = finalize_invoice(make_invoice(customer, [(3000, [])]))
    assert not connection.in_atomic_block
    with pytest.raises(CardError):
        pay_invoice(invoice)
    # Committed: visible from a fresh read outside any transaction of the call.
    assert Invoice.objects.get(id=invoice.id).attempt_count == 1
    assert Charge.objects.filter(status="failed", payment_intent__invoice_id=invoice.id).count() == 1


def test_a_failed_payment_of_an_uncollectible_invoice_schedules_nothing(make_customer, make_invoice):
    from seikyu.billing.services.invoices import mark_uncollectible

    customer = make_customer(card="pm_card_chargeCustomerFail")
    invoice = mark_uncollectible(finalize_invoice(make_invoice(customer, [(3000, [])], auto_advance=True)))
    with pytest.raises(CardError):
        pay_invoice(invoice)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.attempt_count, invoice.next_payment_attempt, invoice.next_action_at) == (
        "uncollectible",
        1,
        None,
        None,
    )
