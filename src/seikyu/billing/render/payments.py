"""Payment methods, PaymentIntents, Charges and Refunds in their wire shape."""

from __future__ import annotations

from typing import Any

from seikyu.core.clock import to_unix

from ..models import Charge, PaymentIntent, PaymentMethod, Refund

_ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")


def render_billing_details(details: dict[str, Any] | None) -> dict[str, Any]:
    details = details or {}
    address = details.get("address") or {}
    return {
        "address": {key: address.get(key) for key in _ADDRESS_KEYS},
        "email": details.get("email"),
        "name": details.get("name"),
        "phone": details.get("phone"),
        "tax_id": details.get("tax_id"),
    }


def render_card(pm: PaymentMethod) -> dict[str, Any]:
    return {
        "brand": pm.card_brand,
        "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": None},
        "country": pm.card_country,
        "display_brand": pm.card_brand,
        "exp_month": pm.card_exp_month,
        "exp_year": pm.card_exp_year,
        "fingerprint": pm.card_fingerprint,
        "funding": pm.card_funding,
        "generated_from": None,
        "last4": pm.card_last4,
        "networks": {"available": [pm.card_brand], "preferred": None},
        "regulated_status": None,
        "three_d_secure_usage": {"supported": True},
        "wallet": None,
    }


def render_payment_method(pm: PaymentMethod) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": pm.id,
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": render_billing_details(pm.billing_details),
        "created": to_unix(pm.created),
        "customer": pm.customer_id,
        "customer_account": None,
        "livemode": pm.livemode,
        "metadata": pm.metadata,
        "type": pm.type,
    }
    if pm.type == "card":
        body["card"] = render_card(pm)
    return body


def render_payment_intent(pi: PaymentIntent) -> dict[str, Any]:
    return {
        "id": pi.id,
        "object": "payment_intent",
        "amount": pi.amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": pi.amount_received,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": to_unix(pi.canceled_at),
        "cancellation_reason": pi.cancellation_reason,
        "capture_method": "automatic",
        "client_secret": pi.client_secret,
        "confirmation_method": "automatic",
        "created": to_unix(pi.created),
        "currency": pi.currency,
        "customer": pi.customer_id,
        "customer_account": None,
        "description": pi.description,
        "excluded_payment_method_types": None,
        "last_payment_error": pi.last_payment_error,
        "latest_charge": pi.latest_charge_id,
        "livemode": pi.livemode,
        "metadata": pi.metadata,
        "next_action": pi.next_action,
        "on_behalf_of": None,
        "payment_method": pi.payment_method_id,
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": None,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": pi.status,
        "transfer_data": None,
        "transfer_group": None,
    }


def render_charge(charge: Charge) -> dict[str, Any]:
    return {
        "id": charge.id,
        "object": "charge",
        "amount": charge.amount,
        "amount_captured": charge.amount_captured,
        "amount_refunded": charge.amount_refunded,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": None,
        "billing_details": render_billing_details(None),
        "calculated_statement_descriptor": None,
        "captured": charge.captured,
        "created": to_unix(charge.created),
        "currency": charge.currency,
        "customer": charge.customer_id,
        "description": charge.description,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": charge.failure_code,
        "failure_message": charge.failure_message,
        "fraud_details": {},
        "livemode": charge.livemode,
        "metadata": charge.metadata,
        "on_behalf_of": None,
        "outcome": charge.outcome,
        "paid": charge.paid,
        "payment_intent": charge.payment_intent_id,
        "payment_method": charge.payment_method_id,
        "payment_method_details": charge.payment_method_details,
        "receipt_email": None,
        "receipt_number": None,
        "receipt_url": None,
        "refunded": charge.refunded,
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": charge.status,
        "transfer_data": None,
        "transfer_group": None,
    }


def render_refund(refund: Refund, *, charge: Charge | None = None) -> dict[str, Any]:
    charge = charge if charge is not None else refund.charge
    return {
        "id": refund.id,
        "object": "refund",
        "amount": refund.amount,
        "balance_transaction": None,
        "charge": refund.charge_id,
        "created": to_unix(refund.created),
        "currency": refund.currency,
        "customer": charge.customer_id,
        "customer_account": None,
        "destination_details": {"card": {"type": "refund"}, "type": "card"},
        "livemode": refund.livemode,
        "metadata": refund.metadata,
        "payment_intent": refund.payment_intent_id,
        "payment_method": charge.payment_method_id,
        "reason": refund.reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": refund.status,
        "transfer_reversal": None,
    }
