"""The built-in sandbox: Stripe's test cards, reproduced offline.

Every test card Stripe documents for billing maps to a ``sandbox_behavior`` stored on the payment
method; a charge's outcome depends only on that behaviour, so a test run is deterministic.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from seikyu.billing.models import PaymentMethod

from .base import ChargeResult, RefundResult


@dataclass(frozen=True)
class SandboxCard:
    number: str
    brand: str
    country: str
    funding: str
    behavior: str

    @property
    def last4(self) -> str:
        return self.number[-4:]


_VISA = SandboxCard("4242424242424242", "visa", "US", "credit", "succeed")

# Magic payment-method ids and tokens (test mode) → the card they stand for.
MAGIC_CARDS: dict[str, SandboxCard] = {}
# Card numbers accepted by ``POST /v1/payment_methods`` in test mode.
CARDS_BY_NUMBER: dict[str, SandboxCard] = {}


def _card(names: tuple[str, ...], card: SandboxCard) -> None:
    CARDS_BY_NUMBER[card.number] = card
    for name in names:
        MAGIC_CARDS[name] = card


_card(("pm_card_visa", "tok_visa"), _VISA)
_card(("pm_card_visa_debit", "tok_visa_debit"), SandboxCard("4000056655665556", "visa", "US", "debit", "succeed"))
_card(
    ("pm_card_mastercard", "tok_mastercard"), SandboxCard("5555555555554444", "mastercard", "US", "credit", "succeed")
)
_card(("pm_card_amex", "tok_amex"), SandboxCard("378282246310005", "amex", "US", "credit", "succeed"))
_card(("pm_card_jcb", "tok_jcb"), SandboxCard("3566002020360505", "jcb", "JP", "credit", "succeed"))
_card(("pm_card_jp", "tok_jp"), SandboxCard("4000003920000003", "visa", "JP", "credit", "succeed"))
_card(
    ("pm_card_chargeDeclined", "tok_chargeDeclined"),
    SandboxCard("4000000000000002", "visa", "US", "credit", "card_declined"),
)
_card(
    ("pm_card_chargeCustomerFail", "tok_chargeCustomerFail"),
    SandboxCard("4000000000000341", "visa", "US", "credit", "fail_on_charge"),
)
_card(
    (
        "pm_card_visa_chargeDeclinedInsufficientFunds",
        "pm_card_chargeDeclinedInsufficientFunds",
        "tok_chargeDeclinedInsufficientFunds",
    ),
    SandboxCard("4000000000009995", "visa", "US", "credit", "insufficient_funds"),
)
_card(
    ("pm_card_chargeDeclinedExpiredCard", "tok_chargeDeclinedExpiredCard"),
    SandboxCard("4000000000000069", "visa", "US", "credit", "expired_card"),
)
_card(
    ("pm_card_chargeDeclinedIncorrectCvc", "tok_chargeDeclinedIncorrectCvc"),
    SandboxCard("4000000000000127", "visa", "US", "credit", "incorrect_cvc"),
)
_card(
    ("pm_card_chargeDeclinedProcessingError", "tok_chargeDeclinedProcessingError"),
    SandboxCard("4000000000000119", "visa", "US", "credit", "processing_error"),
)
_card(
    ("pm_card_authenticationRequired", "tok_authenticationRequired"),
    SandboxCard("4000002760003184", "visa", "US", "credit", "authentication_required"),
)

# Behaviours that fail when the card is first attached (Stripe validates the card then).
DECLINED_AT_ATTACH = frozenset({"card_declined"})

# behaviour → (code, decline_code, message), the way Stripe words them.
DECLINES: dict[str, tuple[str, str, str]] = {
    "card_declined": ("card_declined", "generic_decline", "Your card was declined."),
    "fail_on_charge": ("card_declined", "generic_decline", "Your card was declined."),
    "insufficient_funds": ("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    "expired_card": ("expired_card", "expired_card", "Your card has expired."),
    "incorrect_cvc": ("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."),
    "processing_error": (
        "processing_error",
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
    ),
    "authentication_required": (
        "authentication_required",
        "authentication_required",
        "Your card was declined. This transaction requires authentication.",
    ),
}


def _reference(kind: str, idempotency_key: str) -> str:
    # Derived from the idempotency key, so a retried call names the same gateway object.
    return f"sandbox_{kind}_{hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]}"


class SandboxGateway:
    def charge(
        self,
        payment_method: PaymentMethod,
        amount: int,
        currency: str,
        *,
        off_session: bool,
        idempotency_key: str,
    ) -> ChargeResult:
        behavior = payment_method.sandbox_behavior or "succeed"
        if behavior == "succeed":
            return ChargeResult(status="succeeded", reference=_reference("ch", idempotency_key))
        code, decline_code, message = DECLINES[behavior]
        if behavior == "authentication_required":
            # No charge is made: the customer has to authenticate first, on or off session.
            return ChargeResult(
                status="requires_action",
                failure_code=code,
                decline_code=decline_code,
                message=message,
                requires_action=True,
            )
        return ChargeResult(
            status="failed",
            failure_code=code,
            decline_code=decline_code,
            message=message,
            reference=_reference("ch", idempotency_key),
        )

    def refund(self, charge_reference: str, amount: int, currency: str, *, idempotency_key: str) -> RefundResult:
        return RefundResult(status="succeeded", reference=_reference("re", idempotency_key))
