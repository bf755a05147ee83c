"""Money actually moving: PaymentIntents, Charges, invoice payments and refunds.

An invoice has at most one unfinished PaymentIntent; every attempt (first charge, retries, a
``/pay``) confirms that same intent again with a new Charge, as Stripe does, and the invoice's
``payments`` list holds one InvoicePayment per intent (plus one per out-of-band payment). The
gateway named on the payment method does the charging; this module records the outcome and emits
``payment_intent.*`` and ``charge.*`` events in the order Stripe sends them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from seikyu.core.errors import CardError, InvalidRequest, ResourceMissing
from seikyu.core.ids import new_id, new_secret
from seikyu.db.rows import bulk_insert, bulk_save, new_row
from seikyu.events.services import PendingEvent, emit_many, previous_attributes

from ..clock import now_for
from ..gateways import ChargeResult, get_gateway
from ..models import Charge, Customer, Invoice, InvoicePayment, PaymentIntent, PaymentMethod, Refund, Subscription
from ..render.payments import render_charge, render_payment_intent, render_payment_method, render_refund

PI = PaymentIntent.Status


@dataclass
class Attempt:
    """One payment attempt on one invoice and what it produced."""

    invoice: Invoice
    payment_method: PaymentMethod
    result: ChargeResult
    payment_intent: PaymentIntent
    invoice_payment: InvoicePayment
    charge: Charge | None


def payment_methods_for(invoices: Sequence[Invoice]) -> dict[str, PaymentMethod | None]:
    """The card each invoice is charged to: the invoice's default payment method, else its
    subscription's, else its customer's — the first one still attached to the customer."""
    sub_ids = {inv.subscription_id for inv in invoices if inv.subscription_id}
    by_sub = dict(Subscription.objects.filter(id__in=sub_ids).values_list("id", "default_payment_method_id"))
    by_customer = dict(
        Customer.objects.filter(id__in={inv.customer_id for inv in invoices}).values_list(
            "id", "default_payment_method_id"
        )
    )
    chains = {
        inv.id: [inv.default_payment_method_id, by_sub.get(inv.subscription_id or ""), by_customer.get(inv.customer_id)]
        for inv in invoices
    }
    methods = PaymentMethod.objects.in_bulk({pm for chain in chains.values() for pm in chain if pm})
    chosen: dict[str, PaymentMethod | None] = {}
    for inv in invoices:
        candidates = (methods.get(pm_id) for pm_id in chains[inv.id] if pm_id)
        chosen[inv.id] = next((pm for pm in candidates if pm and pm.customer_id == inv.customer_id), None)
    return chosen


def _card_details(pm: PaymentMethod) -> dict[str, Any]:
    return {
        "card": {
            "brand": pm.card_brand,
            "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": None},
            "country": pm.card_country,
            "exp_month": pm.card_exp_month,
            "exp_year": pm.card_exp_year,
            "fingerprint": pm.card_fingerprint,
            "funding": pm.card_funding,
            "installments": None,
            "last4": pm.card_last4,
            "mandate": None,
            "network": pm.card_brand,
            "three_d_secure": None,
            "wallet": None,
        },
        "type": pm.type,
    }


def _outcome(result: ChargeResult) -> dict[str, Any]:
    if result.succeeded:
        return {
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    return {
        "network_status": "declined_by_network",
        "reason": result.decline_code,
        "risk_level": "normal",
        "seller_message": "The bank did not return any further details with this decline.",
        "type": "issuer_declined",
    }


def _new_intent(inv: Invoice, pm: PaymentMethod, now: dt.datetime) -> tuple[PaymentIntent, InvoicePayment]:
    intent_id = new_id("pi")
    intent = new_row(
        PaymentIntent,
        id=intent_id,
        livemode=inv.livemode,
        created=now,
        amount=inv.amount_remaining,
        currency=inv.currency,
        customer_id=inv.customer_id,
        invoice_id=inv.id,
        payment_method_id=pm.id,
        status=PI.REQUIRES_PAYMENT_METHOD,
        description=f"Invoice {inv.number}" if inv.number else None,
        client_secret=new_secret(f"{intent_id}_secret", 24),
    )
    payment = new_row(
        InvoicePayment,
        id=new_id("inpay"),
        livemode=inv.livemode,
        created=now,
        invoice_id=inv.id,
        currency=inv.currency,
        amount_requested=inv.amount_remaining,
        is_default=True,
        status="open",
        payment_type="payment_intent",
        payment_intent_id=intent_id,
    )
    return intent, payment


def _open_intents(invoices: Sequence[Invoice]) -> dict[str, InvoicePayment]:
    return {
        p.invoice_id: p
        for p in InvoicePayment.objects.filter(
            invoice_id__in=[inv.id for inv in invoices], status="open", payment_type="payment_intent"
        ).select_related("payment_intent")
    }


def charge_invoices(
    invoices: Sequence[Invoice],
    methods: Mapping[str, PaymentMethod],
    *,
    now: dt.datetime,
    off_session: bool,
) -> list[Attempt]:
    """Charge each invoice's ``amount_remaining`` to ``methods[invoice.id]`` and record the
    intents, charges and invoice payments (the invoices themselves are the caller's to update).
    ``invoice.attempt_count`` must not yet count this attempt: it names the gateway idempotency key."""
    existing = _open_intents(invoices)
    attempts: list[Attempt] = []
    new_intents: list[PaymentIntent] = []
    new_payments: list[InvoicePayment] = []
    for inv in invoices:
        pm = methods[inv.id]
        if inv.id in existing:
            payment = existing[inv.id]
            intent = payment.payment_intent
            assert intent is not None
        else:
            intent, payment = _new_intent(inv, pm, now)
            new_intents.append(intent)
            new_payments.append(payment)
        result = get_gateway(pm.gateway).charge(
            pm,
            inv.amount_remaining,
            inv.currency,
            off_session=off_session,
            idempotency_key=f"{inv.id}:attempt:{inv.attempt_count + 1}",
        )
        charge = None if result.requires_action else _charge_row(inv, pm, intent, result, now)
        _apply_result(intent, payment, pm, result, charge, now)
        attempts.append(Attempt(inv, pm, result, intent, payment, charge))

    charges = [a.charge for a in attempts if a.charge is not None]
    bulk_insert(new_intents)
    bulk_insert(charges)
    bulk_insert(new_payments)
    new_ids = {intent.id for intent in new_intents}
    reused = [a.payment_intent for a in attempts if a.payment_intent.id not in new_ids]
    if reused:
        bulk_save(reused, _INTENT_FIELDS)
    new_ids = {payment.id for payment in new_payments}
    settled = [a.invoice_payment for a in attempts if a.invoice_payment.id not in new_ids]
    if settled:
        bulk_save(settled, ["status", "amount_paid", "paid_at"])

    events = [PendingEvent("payment_intent.created", render_payment_intent(i), now, i.livemode) for i in new_intents]
    for a in attempts:
        if a.charge is not None:
            kind = "charge.succeeded" if a.result.succeeded else "charge.failed"
            events.append(PendingEvent(kind, render_charge(a.charge), now, a.charge.livemode))
    for a in attempts:
        kind = {
            "succeeded": "payment_intent.succeeded",
            "failed": "payment_intent.payment_failed",
            "requires_action": "payment_intent.requires_action",
        }[a.result.status]
        events.append(PendingEvent(kind, render_payment_intent(a.payment_intent), now, a.payment_intent.livemode))
    emit_many(events)
    return attempts


_INTENT_FIELDS = ["payment_method", "status", "amount_received", "last_payment_error", "next_action", "latest_charge"]


def _charge_row(
    inv: Invoice, pm: PaymentMethod, intent: PaymentIntent, result: ChargeResult, now: dt.datetime
) -> Charge:
    ok = result.succeeded
    return new_row(
        Charge,
        id=new_id("ch"),
        livemode=inv.livemode,
        created=now,
        amount=intent.amount,
        amount_captured=intent.amount if ok else 0,
        currency=inv.currency,
        customer_id=inv.customer_id,
        payment_intent_id=intent.id,
        payment_method_id=pm.id,
        status="succeeded" if ok else "failed",
        paid=ok,
        captured=ok,
        failure_code=None if ok else result.failure_code,
        failure_message=None if ok else result.message,
        outcome=_outcome(result),
        payment_method_details=_card_details(pm),
        description=intent.description,
        gateway_reference=result.reference,
    )


def _apply_result(
    intent: PaymentIntent,
    payment: InvoicePayment,
    pm: PaymentMethod,
    result: ChargeResult,
    charge: Charge | None,
    now: dt.datetime,
) -> None:
    intent.payment_method_id = pm.id
    if charge is not None:
        intent.latest_charge_id = charge.id
    if result.succeeded:
        intent.status = PI.SUCCEEDED
        intent.amount_received = intent.amount
        intent.last_payment_error = None
        intent.next_action = None
        payment.status = "paid"
        payment.amount_paid = intent.amount
        payment.paid_at = now
        return
    intent.last_payment_error = {
        "charge": charge.id if charge else None,
        "code": result.failure_code,
        "decline_code": result.decline_code,
        "message": result.message,
        "payment_method": render_payment_method(pm),
        "type": "card_error",
    }
    if result.requires_action:
        intent.status = PI.REQUIRES_ACTION
        intent.next_action = {"type": "use_stripe_sdk", "use_stripe_sdk": {"type": "three_d_secure_redirect"}}
    else:
        intent.status = PI.REQUIRES_PAYMENT_METHOD
        intent.next_action = None


def card_error(attempt: Attempt) -> CardError:
    """The error ``/pay`` answers with when an attempt did not succeed (HTTP 402)."""
    result = attempt.result
    extra: dict[str, Any] = {"payment_intent": render_payment_intent(attempt.payment_intent)}
    if attempt.charge is not None:
        extra["charge"] = attempt.charge.id
    if result.requires_action:
        return CardError(
            "This payment needs the customer to authenticate it: confirm the invoice's PaymentIntent "
            "on session to complete it.",
            code="invoice_payment_intent_requires_action",
            extra=extra,
        )
    return CardError(
        result.message or "Your card was declined.",
        code=result.failure_code,
        decline_code=result.decline_code,
        extra=extra,
    )


def latest_card_error(invoice: Invoice) -> CardError | None:
    """The decline behind an invoice's last failed attempt, as the error a caller raises (e.g. a
    subscription created with ``payment_behavior=error_if_incomplete``), or None."""
    intent = (
        PaymentIntent.objects.filter(invoice_id=invoice.id, last_payment_error__isnull=False)
        .exclude(status=PI.SUCCEEDED)
        .order_by("-created", "-id")
        .first()
    )
    if intent is None or not intent.last_payment_error:
        return None
    error = intent.last_payment_error
    return CardError(
        error.get("message") or "Your card was declined.",
        code=error.get("code"),
        decline_code=error.get("decline_code"),
        extra={"payment_intent": render_payment_intent(intent), "charge": error.get("charge")},
    )


def cancel_invoice_payments(invoices: Sequence[Invoice], *, now: dt.datetime, reason: str) -> list[PaymentIntent]:
    """Cancel the invoices' unfinished intents (``payment_intent.canceled``) and their invoice payments."""
    open_payments = list(_open_intents(invoices).values())
    intents = [p.payment_intent for p in open_payments if p.payment_intent is not None]
    for payment in open_payments:
        payment.status = "canceled"
        payment.canceled_at = now
    for intent in intents:
        intent.status = PI.CANCELED
        intent.canceled_at = now
        intent.cancellation_reason = reason
    if open_payments:
        bulk_save(open_payments, ["status", "canceled_at"])
        bulk_save(intents, ["status", "canceled_at", "cancellation_reason"])
        emit_many(PendingEvent("payment_intent.canceled", render_payment_intent(i), now, i.livemode) for i in intents)
    return intents


def record_out_of_band(invoice: Invoice, *, now: dt.datetime) -> InvoicePayment:
    """A payment made outside Seikyu (bank transfer, cash) for the invoice's remaining amount."""
    has_default = InvoicePayment.objects.filter(invoice_id=invoice.id, is_default=True).exists()
    return InvoicePayment.objects.create(
        id=new_id("inpay"),
        livemode=invoice.livemode,
        created=now,
        invoice_id=invoice.id,
        currency=invoice.currency,
        amount_requested=invoice.amount_remaining,
        amount_paid=invoice.amount_remaining,
        is_default=not has_default,
        status="paid",
        payment_type="out_of_band",
        paid_at=now,
    )


REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def create_refund(
    *,
    livemode: bool,
    charge_id: str | None = None,
    payment_intent_id: str | None = None,
    amount: int | None = None,
    reason: str | None = None,
    metadata: dict[str, str] | None = None,
) -> Refund:
    """Refund all or part of a successful charge (given directly or as a PaymentIntent's latest
    charge): ``refund.created`` and ``charge.refunded``. The invoice keeps its status (credit
    notes are how an invoice is corrected)."""
    if not charge_id and not payment_intent_id:
        raise InvalidRequest("One of `charge` or `payment_intent` is required.", code="parameter_missing")
    if reason is not None and reason not in REFUND_REASONS:
        raise InvalidRequest(
            f"Invalid reason: must be one of {', '.join(REFUND_REASONS)}", param="reason", code="parameter_invalid"
        )
    with transaction.atomic():
        if payment_intent_id:
            intent = PaymentIntent.objects.filter(id=payment_intent_id, livemode=livemode).first()
            if intent is None:
                raise ResourceMissing("payment_intent", payment_intent_id, param="payment_intent")
            if intent.latest_charge_id is None or intent.status != PI.SUCCEEDED:
                raise InvalidRequest(
                    f"PaymentIntent {intent.id} has no successful charge to refund.", param="payment_intent"
                )
            if charge_id and charge_id != intent.latest_charge_id:
                raise InvalidRequest(
                    f"Charge {charge_id} does not belong to PaymentIntent {intent.id}.", param="charge"
                )
            charge_id = intent.latest_charge_id
        assert charge_id is not None
        charge = Charge.objects.select_for_update().filter(id=charge_id, livemode=livemode).first()
        if charge is None:
            raise ResourceMissing("charge", charge_id, param="charge")
        if charge.status != "succeeded":
            raise InvalidRequest(f"Charge {charge.id} did not succeed, so there is nothing to refund.", param="charge")
        remaining = charge.amount_captured - charge.amount_refunded
        if remaining <= 0:
            raise InvalidRequest(
                f"Charge {charge.id} has already been refunded.", code="charge_already_refunded", param="charge"
            )
        amount = remaining if amount is None else amount
        if amount <= 0:
            raise InvalidRequest("The refund amount must be a positive integer.", param="amount")
        if amount > remaining:
            raise InvalidRequest(
                f"Refund amount ({amount}) is greater than the unrefunded amount on charge {charge.id} ({remaining}).",
                param="amount",
            )
        now = now_for(charge.customer)
        refund_id = new_id("re")
        result = get_gateway(_gateway_of(charge)).refund(
            charge.gateway_reference or charge.id, amount, charge.currency, idempotency_key=refund_id
        )
        refund = Refund.objects.create(
            id=refund_id,
            livemode=livemode,
            created=now,
            metadata=metadata or {},
            amount=amount,
            currency=charge.currency,
            charge=charge,
            payment_intent_id=charge.payment_intent_id,
            reason=reason,
            status=result.status,
            gateway_reference=result.reference,
        )
        if result.status == "succeeded":
            charge.amount_refunded += amount
            charge.refunded = charge.amount_refunded == charge.amount_captured
            charge.save(update_fields=["amount_refunded", "refunded"])
        events = [PendingEvent("refund.created", render_refund(refund, charge=charge), now, livemode)]
        if result.status == "succeeded":
            events.append(PendingEvent("charge.refunded", render_charge(charge), now, livemode))
        emit_many(events)
    return refund


def _gateway_of(charge: Charge) -> str:
    if charge.payment_method_id is None:
        return "sandbox"
    return PaymentMethod.objects.values_list("gateway", flat=True).get(id=charge.payment_method_id)


def update_refund_metadata(refund: Refund, metadata: dict[str, str]) -> Refund:
    """``refund.updated`` with the refund's new metadata (already merged)."""
    with transaction.atomic():
        before = render_refund(refund)
        refund.metadata = metadata
        refund.save(update_fields=["metadata"])
        after = render_refund(refund)
        changed = previous_attributes(before, after)
        if changed:
            emit_many(
                [PendingEvent("refund.updated", after, now_for(refund.charge.customer), refund.livemode, changed)]
            )
    return refund
