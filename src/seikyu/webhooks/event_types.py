"""The event types an endpoint may subscribe to: Stripe's billing types, which Seikyu emits or will.

An endpoint lists exact types or ``*``; anything else is a typo that would silently receive
nothing, so it is rejected when the endpoint is saved.
"""

from __future__ import annotations

_GROUPS: dict[str, tuple[str, ...]] = {
    "billing_portal.configuration": ("created", "updated"),
    "billing_portal.session": ("created",),
    "charge": ("captured", "expired", "failed", "pending", "refunded", "succeeded", "updated"),
    "charge.refund": ("updated",),
    "coupon": ("created", "deleted", "updated"),
    "credit_note": ("created", "updated", "voided"),
    "customer": ("created", "deleted", "updated"),
    "customer.discount": ("created", "deleted", "updated"),
    "customer.subscription": (
        "created",
        "deleted",
        "paused",
        "pending_update_applied",
        "pending_update_expired",
        "resumed",
        "trial_will_end",
        "updated",
    ),
    "customer.tax_id": ("created", "deleted", "updated"),
    "invoice": (
        "created",
        "deleted",
        "finalization_failed",
        "finalized",
        "marked_uncollectible",
        "overdue",
        "overpaid",
        "paid",
        "payment_action_required",
        "payment_failed",
        "payment_succeeded",
        "sent",
        "upcoming",
        "updated",
        "voided",
        "will_be_due",
    ),
    "invoice_payment": ("paid",),
    "invoiceitem": ("created", "deleted", "updated"),
    "payment_intent": (
        "amount_capturable_updated",
        "canceled",
        "created",
        "partially_funded",
        "payment_failed",
        "processing",
        "requires_action",
        "succeeded",
    ),
    "payment_method": ("attached", "automatically_updated", "detached", "updated"),
    "price": ("created", "deleted", "updated"),
    "product": ("created", "deleted", "updated"),
    "promotion_code": ("created", "updated"),
    "quote": ("accepted", "canceled", "created", "finalized"),
    "refund": ("created", "failed", "updated"),
    "setup_intent": ("canceled", "created", "requires_action", "setup_failed", "succeeded"),
    "subscription_schedule": ("aborted", "canceled", "completed", "created", "expiring", "released", "updated"),
    "tax_rate": ("created", "updated"),
    "test_helpers.test_clock": ("advancing", "created", "deleted", "internal_failure", "ready"),
}

EVENT_TYPES: frozenset[str] = frozenset(f"{group}.{action}" for group, actions in _GROUPS.items() for action in actions)

ALL = "*"


def matches(enabled_events: list[str], event_type: str) -> bool:
    return ALL in enabled_events or event_type in enabled_events
