"""Payment gateways: who actually moves the money.

A gateway charges a payment method and refunds a charge; the payment services record the outcome
as PaymentIntents, Charges and Refunds. Gateways are looked up by the name stored on each
payment method (``PaymentMethod.gateway``), so cards from several gateways can coexist.
"""

from __future__ import annotations

from .base import ChargeResult, Gateway, RefundResult, get_gateway, register_gateway
from .sandbox import SandboxGateway

register_gateway("sandbox", SandboxGateway())

__all__ = ["ChargeResult", "Gateway", "RefundResult", "SandboxGateway", "get_gateway", "register_gateway"]
