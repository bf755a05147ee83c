"""What the subscription engine (and the API) hand to the invoice engine to make invoices.

Plain data, so a whole bill-run batch can be computed in memory and written with bulk inserts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass
class LineDraft:
    description: str
    # Pre-discount amount in minor units; for a tax-inclusive rate it includes the tax (as Stripe).
    amount: int
    currency: str
    period_start: dt.datetime
    period_end: dt.datetime
    quantity: int | None = None
    unit_amount: int | None = None
    price_id: str | None = None
    proration: bool = False
    subscription_id: str | None = None
    subscription_item_id: str | None = None
    invoice_item_id: str | None = None
    tax_rate_ids: list[str] = field(default_factory=list)
    discountable: bool = True
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class InvoiceDraft:
    customer_id: str
    currency: str
    livemode: bool
    created: dt.datetime
    billing_reason: str
    period_start: dt.datetime
    period_end: dt.datetime
    lines: list[LineDraft]
    collection_method: str = "charge_automatically"
    days_until_due: int | None = None
    subscription_id: str | None = None
    default_payment_method_id: str | None = None
    # Rates applied to lines that carry none of their own.
    default_tax_rate_ids: list[str] = field(default_factory=list)
    discount_ids: list[str] = field(default_factory=list)
    auto_advance: bool = True
    # Also pull the customer's pending invoice items (for this subscription, or all when None).
    include_pending_invoice_items: bool = True
    # Unique per (subscription, period) for cycle invoices: a second bill run is a no-op.
    cycle_key: str | None = None
    description: str | None = None
    test_clock_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
