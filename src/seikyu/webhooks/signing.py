"""``Stripe-Signature``: ``t=<unix>,v1=<hex HMAC-SHA256>`` over ``f"{t}.{body}"``, keyed with the
whole ``whsec_…`` string, so ``stripe.Webhook.construct_event`` verifies what we send."""

from __future__ import annotations

import hashlib
import hmac

from seikyu.core.ids import new_secret


def new_signing_secret() -> str:
    return new_secret("whsec")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"
