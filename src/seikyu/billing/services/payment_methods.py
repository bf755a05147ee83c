"""Payment methods: create (test cards), attach, update, detach.

In test mode, Stripe's magic ids (``pm_card_visa``, ``tok_visa``, ``pm_card_chargeDeclined`` …)
stand for test cards: attaching one clones it into a new ``pm_…`` of the customer with the card's
``sandbox_behavior``. Live payments need a real gateway; only the sandbox exists so far, so raw
card details and magic ids are refused in live mode.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from seikyu.core.clock import real_now
from seikyu.core.errors import CardError, InvalidRequest, ResourceMissing
from seikyu.core.ids import new_id
from seikyu.events.services import PendingEvent, emit_many, previous_attributes

from ..clock import now_for
from ..gateways.sandbox import CARDS_BY_NUMBER, DECLINED_AT_ATTACH, DECLINES, MAGIC_CARDS, SandboxCard
from ..models import Customer, PaymentMethod
from ..render.payments import render_payment_method


def get_payment_method(payment_method_id: str, *, livemode: bool, param: str = "payment_method") -> PaymentMethod:
    pm = PaymentMethod.objects.filter(id=payment_method_id, livemode=livemode).first()
    if pm is None:
        raise ResourceMissing("PaymentMethod", payment_method_id, param=param)
    return pm


def _lock(pm: PaymentMethod) -> None:
    PaymentMethod.objects.select_for_update().filter(id=pm.id).exists()
    pm.refresh_from_db()


def _fingerprint(number: str) -> str:
    return hashlib.sha256(f"seikyu-card:{number}".encode()).hexdigest()[:16]


def _from_card(
    card: SandboxCard, *, livemode: bool, created: dt.datetime, exp_month: int, exp_year: int
) -> PaymentMethod:
    return PaymentMethod(
        id=new_id("pm"),
        livemode=livemode,
        created=created,
        type="card",
        card_brand=card.brand,
        card_last4=card.last4,
        card_exp_month=exp_month,
        card_exp_year=exp_year,
        card_country=card.country,
        card_funding=card.funding,
        card_fingerprint=_fingerprint(card.number),
        gateway="sandbox",
        sandbox_behavior=card.behavior,
    )


def _refuse_at_attach(pm: PaymentMethod) -> None:
    if pm.sandbox_behavior in DECLINED_AT_ATTACH:
        code, decline_code, message = DECLINES[pm.sandbox_behavior]
        raise CardError(message, code=code, decline_code=decline_code)


def _emit(kind: str, pm: PaymentMethod, now: dt.datetime, before: dict[str, Any] | None = None) -> None:
    after = render_payment_method(pm)
    changed = previous_attributes(before, after) if before is not None else None
    emit_many([PendingEvent(kind, after, now, pm.livemode, changed)])


def attach_payment_method(payment_method_id: str, customer: Customer, *, livemode: bool) -> PaymentMethod:
    """Attach a payment method (or a magic test id, cloned) to ``customer``:
    ``payment_method.attached``. A card that declines at validation raises ``CardError`` and
    nothing is attached; attaching one already the customer's is a no-op."""
    now = now_for(customer)
    with transaction.atomic():
        card = MAGIC_CARDS.get(payment_method_id)
        if card is not None:
            if livemode:
                raise ResourceMissing("PaymentMethod", payment_method_id, param="payment_method")
            pm = _from_card(card, livemode=livemode, created=now, exp_month=now.month, exp_year=now.year + 1)
            _refuse_at_attach(pm)
            pm.customer = customer
            pm.save(force_insert=True)
            _emit("payment_method.attached", pm, now)
            return pm
        found = PaymentMethod.objects.select_for_update().filter(id=payment_method_id, livemode=livemode).first()
        if found is None:
            raise ResourceMissing("PaymentMethod", payment_method_id, param="payment_method")
        pm = found
        if pm.customer_id == customer.id:
            return pm
        if pm.customer_id is not None:
            raise InvalidRequest(
                "The payment method you provided has already been attached to a customer.",
                code="payment_method_unexpected_state",
                param="payment_method",
            )
        _refuse_at_attach(pm)
        pm.customer = customer
        pm.save(update_fields=["customer"])
        _emit("payment_method.attached", pm, now)
        return pm


def resolve_payment_method(payment_method_id: str, customer: Customer, *, livemode: bool) -> PaymentMethod:
    """The customer's payment method ``payment_method_id``; a magic test id is attached first."""
    if payment_method_id in MAGIC_CARDS:
        return attach_payment_method(payment_method_id, customer, livemode=livemode)
    pm = get_payment_method(payment_method_id, livemode=livemode)
    if pm.customer_id != customer.id:
        raise InvalidRequest(
            f"The customer does not have a payment method with the ID {payment_method_id}. "
            "The payment method must be attached to the customer.",
            code="resource_missing",
            param="payment_method",
        )
    return pm


def _luhn_ok(number: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(number)):
        digit = int(char)
        if i % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _expiry(exp_month: int, exp_year: int, today: dt.datetime) -> tuple[int, int]:
    year = exp_year + 2000 if exp_year < 100 else exp_year
    if not 1 <= exp_month <= 12:
        raise CardError(
            "Your card's expiration month is invalid.", code="invalid_expiry_month", param="card[exp_month]"
        )
    if year < today.year or year > today.year + 50:
        raise CardError("Your card's expiration year is invalid.", code="invalid_expiry_year", param="card[exp_year]")
    if (year, exp_month) < (today.year, today.month):
        raise CardError(
            "Your card's expiration month is invalid.", code="invalid_expiry_month", param="card[exp_month]"
        )
    return exp_month, year


def _test_card(card: Mapping[str, Any]) -> SandboxCard:
    number = "".join(str(card.get("number") or "").split())
    if not number:
        raise InvalidRequest("Missing required param: card[number].", code="parameter_missing", param="card[number]")
    if not number.isdigit() or not 12 <= len(number) <= 19 or not _luhn_ok(number):
        raise CardError("Your card number is incorrect.", code="incorrect_number", param="card[number]")
    found = CARDS_BY_NUMBER.get(number)
    if found is None:
        raise CardError(
            "Your card was declined. Your request was in test mode, but used a non test card. "
            "Use one of the documented test card numbers.",
            code="card_declined",
            decline_code="test_mode_live_card",
        )
    return found


def create_payment_method(
    *,
    livemode: bool,
    type: str = "card",
    card: Mapping[str, Any] | None = None,
    billing_details: Mapping[str, Any] | None = None,
    metadata: Mapping[str, str] | None = None,
) -> PaymentMethod:
    """``POST /v1/payment_methods``: a test card from its number (or ``card[token]=tok_…``), not
    attached to anyone yet. Invalid numbers, expiry dates or CVCs raise ``CardError``."""
    if type != "card":
        raise InvalidRequest(f"Payment method type '{type}' is not supported; use 'card'.", param="type")
    if livemode:
        raise InvalidRequest(
            "Card details can only be used in test mode: live payments need a payment gateway, and only the "
            "sandbox is configured.",
            param="card",
        )
    if not card:
        raise InvalidRequest("Missing required param: card.", code="parameter_missing", param="card")
    now = real_now()
    token = card.get("token")
    if token:
        found = MAGIC_CARDS.get(str(token))
        if found is None or not str(token).startswith("tok_"):
            raise ResourceMissing("token", str(token), param="card[token]")
        exp_month, exp_year = now.month, now.year + 1
    else:
        found = _test_card(card)
        for name in ("exp_month", "exp_year"):
            if card.get(name) in (None, ""):
                raise InvalidRequest(
                    f"Missing required param: card[{name}].", code="parameter_missing", param=f"card[{name}]"
                )
        cvc = card.get("cvc")
        if cvc not in (None, "") and not (str(cvc).isdigit() and 3 <= len(str(cvc)) <= 4):
            raise CardError("Your card's security code is invalid.", code="invalid_cvc", param="card[cvc]")
        exp_month, exp_year = _expiry(int(card["exp_month"]), int(card["exp_year"]), now)
    pm = _from_card(found, livemode=livemode, created=now, exp_month=exp_month, exp_year=exp_year)
    pm.billing_details = dict(billing_details or {})
    pm.metadata = dict(metadata or {})
    pm.save(force_insert=True)
    return pm


def update_payment_method(
    pm: PaymentMethod,
    *,
    billing_details: Mapping[str, Any] | None = None,
    exp_month: int | None = None,
    exp_year: int | None = None,
    metadata: Mapping[str, str] | None = None,
) -> PaymentMethod:
    """Change billing details, expiry or metadata (the new values, already merged): ``payment_method.updated``."""
    with transaction.atomic():
        _lock(pm)
        now = now_for(pm.customer)
        before = render_payment_method(pm)
        if billing_details is not None:
            pm.billing_details = {**pm.billing_details, **billing_details}
        if exp_month is not None or exp_year is not None:
            month, year = _expiry(
                exp_month if exp_month is not None else pm.card_exp_month or 0,
                exp_year if exp_year is not None else pm.card_exp_year or 0,
                real_now(),
            )
            pm.card_exp_month, pm.card_exp_year = month, year
        if metadata is not None:
            pm.metadata = dict(metadata)
        pm.save(update_fields=["billing_details", "card_exp_month", "card_exp_year", "metadata"])
        _emit("payment_method.updated", pm, now, before)
    return pm


def detach_payment_method(pm: PaymentMethod) -> PaymentMethod:
    """Detach from its customer (``payment_method.detached``); it stops being their default."""
    with transaction.atomic():
        _lock(pm)
        if pm.customer_id is None:
            raise InvalidRequest(
                "The payment method you provided is not attached to a customer so detachment is impossible.",
                code="payment_method_unexpected_state",
            )
        customer = pm.customer
        assert customer is not None
        now = now_for(customer)
        before = render_payment_method(pm)
        pm.customer = None
        pm.save(update_fields=["customer"])
        Customer.objects.filter(id=customer.id, default_payment_method_id=pm.id).update(default_payment_method=None)
        _emit("payment_method.detached", pm, now, before)
    return pm
