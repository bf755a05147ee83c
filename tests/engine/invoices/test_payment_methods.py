"""Payment methods: Stripe's magic test ids, test card numbers, attach and detach."""

from __future__ import annotations

import pytest

from seikyu.billing.models import PaymentMethod
from seikyu.billing.services.payment_methods import (
    attach_payment_method,
    create_payment_method,
    detach_payment_method,
    update_payment_method,
)
from seikyu.core.errors import CardError, InvalidRequest, ResourceMissing


def test_magic_ids_are_cloned_per_customer(customer, make_customer, events):
    with events.capture():
        pm = attach_payment_method("pm_card_visa", customer, livemode=False)
    other = attach_payment_method("pm_card_visa", make_customer(), livemode=False)
    assert pm.id.startswith("pm_") and pm.id != other.id != "pm_card_visa"
    assert (pm.customer_id, pm.card_brand, pm.card_last4, pm.sandbox_behavior) == (
        customer.id,
        "visa",
        "4242",
        "succeed",
    )
    assert pm.card_fingerprint == other.card_fingerprint
    assert events.types() == ["payment_method.attached"]


def test_charge_declined_fails_at_attach_and_attaches_nothing(customer):
    with pytest.raises(CardError) as declined:
        attach_payment_method("pm_card_chargeDeclined", customer, livemode=False)
    assert (declined.value.code, declined.value.decline_code) == ("card_declined", "generic_decline")
    assert not PaymentMethod.objects.exists()


def test_customer_fail_attaches_fine(customer):
    pm = attach_payment_method("pm_card_chargeCustomerFail", customer, livemode=False)
    assert (pm.card_last4, pm.sandbox_behavior) == ("0341", "fail_on_charge")


def test_magic_ids_do_not_exist_in_live_mode(db):
    from seikyu.billing.services.customers import create_customer

    live = create_customer({"name": "Live"}, livemode=True)
    with pytest.raises(ResourceMissing):
        attach_payment_method("pm_card_visa", live, livemode=True)


@pytest.mark.parametrize(
    ("number", "behavior", "brand"),
    [
        ("4242424242424242", "succeed", "visa"),
        ("5555 5555 5555 4444", "succeed", "mastercard"),
        ("4000000000000341", "fail_on_charge", "visa"),
        ("4000000000009995", "insufficient_funds", "visa"),
        ("4000000000000069", "expired_card", "visa"),
        ("4000000000000127", "incorrect_cvc", "visa"),
        ("4000000000000119", "processing_error", "visa"),
        ("4000002760003184", "authentication_required", "visa"),
    ],
)
def test_test_card_numbers(db, number, behavior, brand):
    pm = create_payment_method(livemode=False, card={"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"})
    assert (pm.sandbox_behavior, pm.card_brand, pm.card_last4, pm.customer_id) == (behavior, brand, number[-4:], None)


@pytest.mark.parametrize(
    ("card", "code", "param"),
    [
        ({"number": "4242424242424241", "exp_month": 1, "exp_year": 2030}, "incorrect_number", "card[number]"),
        ({"number": "4242424242424242", "exp_month": 13, "exp_year": 2030}, "invalid_expiry_month", "card[exp_month]"),
        ({"number": "4242424242424242", "exp_month": 12, "exp_year": 2025}, "invalid_expiry_year", "card[exp_year]"),
        ({"number": "4242424242424242", "exp_month": 3, "exp_year": 2026}, "invalid_expiry_month", "card[exp_month]"),
        ({"number": "4242424242424242", "exp_month": 4, "exp_year": 26, "cvc": "12"}, "invalid_cvc", "card[cvc]"),
        ({"number": "4111111111111111", "exp_month": 4, "exp_year": 2030}, "card_declined", None),
    ],
)
def test_invalid_cards_are_refused(db, card, code, param):
    with pytest.raises(CardError) as refused:
        create_payment_method(livemode=False, card=card)
    assert (refused.value.code, refused.value.param) == (code, param)
    assert not PaymentMethod.objects.exists()


def test_two_digit_years_and_tokens(db):
    assert (
        create_payment_method(
            livemode=False, card={"number": "4242424242424242", "exp_month": 4, "exp_year": 26}
        ).card_exp_year
        == 2026
    )
    assert create_payment_method(livemode=False, card={"token": "tok_mastercard"}).card_brand == "mastercard"
    with pytest.raises(ResourceMissing):
        create_payment_method(livemode=False, card={"token": "tok_nonsense"})


def test_raw_cards_are_refused_in_live_mode(db):
    with pytest.raises(InvalidRequest, match="test mode"):
        create_payment_method(livemode=True, card={"number": "4242424242424242", "exp_month": 4, "exp_year": 2030})


def test_attach_detach_and_update(customer, make_customer, events):
    pm = create_payment_method(livemode=False, card={"number": "4242424242424242", "exp_month": 4, "exp_year": 2030})
    attach_payment_method(pm.id, customer, livemode=False)
    assert attach_payment_method(pm.id, customer, livemode=False).customer_id == customer.id  # idempotent
    with pytest.raises(InvalidRequest, match="already been attached"):
        attach_payment_method(pm.id, make_customer(), livemode=False)
    with events.capture():
        update_payment_method(pm, billing_details={"name": "山田太郎"}, exp_year=2031, metadata={"a": "b"})
    [updated] = [e for e in events.seen if e.type == "payment_method.updated"]
    assert updated.data["previous_attributes"]["card"] == {"exp_year": 2030}
    assert updated.data["object"]["billing_details"]["name"] == "山田太郎"

    from seikyu.billing.services.customers import update_customer

    update_customer(customer.id, {"invoice_settings": {"default_payment_method": pm.id}}, livemode=False)
    detach_payment_method(pm)
    customer.refresh_from_db()
    assert (pm.customer_id, customer.default_payment_method_id) == (None, None)
    with pytest.raises(InvalidRequest, match="not attached"):
        detach_payment_method(pm)
