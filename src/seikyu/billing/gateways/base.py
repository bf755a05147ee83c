from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from seikyu.billing.models import PaymentMethod

ChargeStatus = Literal["succeeded", "failed", "requires_action"]


@dataclass(frozen=True)
class ChargeResult:
    status: ChargeStatus
    # Stripe's error ``code`` (card_declined, expired_card, authentication_required, …).
    failure_code: str | None = None
    # The issuer's reason (generic_decline, insufficient_funds, …).
    decline_code: str | None = None
    message: str | None = None
    # The gateway's own id for the charge, used to refund it.
    reference: str | None = None
    # True when the card needs the customer to authenticate (3-D Secure) before it can be charged.
    requires_action: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


@dataclass(frozen=True)
class RefundResult:
    status: Literal["succeeded", "failed"]
    reference: str | None = None
    failure_reason: str | None = None


class Gateway(Protocol):
    def charge(
        self,
        payment_method: PaymentMethod,
        amount: int,
        currency: str,
        *,
        off_session: bool,
        idempotency_key: str,
    ) -> ChargeResult: ...

    def refund(self, charge_reference: str, amount: int, currency: str, *, idempotency_key: str) -> RefundResult: ...


_gateways: dict[str, Gateway] = {}


def register_gateway(name: str, gateway: Gateway) -> None:
    _gateways[name] = gateway


def get_gateway(name: str) -> Gateway:
    try:
        return _gateways[name]
    except KeyError:
        raise LookupError(f"no payment gateway named {name!r}") from None
