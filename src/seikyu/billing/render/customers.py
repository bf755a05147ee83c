"""Wire shapes of customers, their tax ids and discounts."""

from __future__ import annotations

from typing import Any

from seikyu.core.clock import to_unix

from ..models import Customer, Discount, TaxId
from .catalog import deleted_stub

# Marks "not preloaded" apart from "preloaded, and there is none".
_UNLOADED: Any = object()


def active_customer_discount(customer: Customer) -> Discount | None:
    """The discount applying to the customer as a whole (not to one subscription or invoice)."""
    return (
        Discount.objects.filter(
            customer_id=customer.id, subscription__isnull=True, invoice__isnull=True, ended_at__isnull=True
        )
        .order_by("-start", "-id")
        .first()
    )


def render_customer(customer: Customer, *, discount: Discount | None = _UNLOADED) -> dict[str, Any]:
    """``discount``: the customer's active discount if the caller already loaded it (list pages
    preload them in one query), else it is looked up."""
    if customer.deleted_at is not None:
        return deleted_stub(customer.id, "customer")
    if discount is _UNLOADED:
        discount = active_customer_discount(customer)
    return {
        "id": customer.id,
        "object": "customer",
        "address": customer.address,
        "balance": customer.balance,
        "created": to_unix(customer.created),
        "currency": customer.currency,
        "default_source": None,
        "delinquent": customer.delinquent,
        "description": customer.description,
        "discount": render_discount(discount) if discount is not None else None,
        "email": customer.email,
        "invoice_prefix": customer.invoice_prefix,
        "invoice_settings": {
            "custom_fields": customer.invoice_custom_fields,
            "default_payment_method": customer.default_payment_method_id,
            "footer": customer.invoice_footer,
            "rendering_options": customer.invoice_rendering_options,
        },
        "livemode": customer.livemode,
        "metadata": dict(customer.metadata),
        "name": customer.name,
        "next_invoice_sequence": customer.next_invoice_sequence,
        "phone": customer.phone,
        "preferred_locales": list(customer.preferred_locales),
        "shipping": customer.shipping,
        "tax_exempt": customer.tax_exempt,
        "test_clock": customer.test_clock_id,
    }


def render_tax_id(tax_id: TaxId) -> dict[str, Any]:
    return {
        "id": tax_id.id,
        "object": "tax_id",
        "country": tax_id.country,
        "created": to_unix(tax_id.created),
        "customer": tax_id.customer_id,
        "livemode": tax_id.livemode,
        "owner": {"customer": tax_id.customer_id, "type": "customer"},
        "type": tax_id.type,
        "value": tax_id.value,
        # No registry is consulted: numbers are stored as given.
        "verification": {"status": "unavailable", "verified_address": None, "verified_name": None},
    }


def render_discount(discount: Discount) -> dict[str, Any]:
    return {
        "id": discount.id,
        "object": "discount",
        "checkout_session": None,
        "customer": discount.customer_id,
        "end": to_unix(discount.end),
        "invoice": discount.invoice_id,
        "invoice_item": None,
        "promotion_code": discount.promotion_code_id,
        "source": {"coupon": discount.coupon_id, "type": "coupon"},
        "start": to_unix(discount.start),
        "subscription": discount.subscription_id,
        "subscription_item": None,
    }


def render_customers(customers: list[Customer]) -> list[dict[str, Any]]:
    """A page of customers, their discounts loaded in one query."""
    discounts: dict[str, Discount] = {}
    live = [c.id for c in customers if c.deleted_at is None]
    if live:
        rows = Discount.objects.filter(
            customer_id__in=live, subscription__isnull=True, invoice__isnull=True, ended_at__isnull=True
        ).order_by("start", "id")
        for discount in rows:
            discounts[discount.customer_id] = discount  # the latest wins
    return [render_customer(c, discount=discounts.get(c.id)) for c in customers]
