"""Invoice numbers, assigned at finalization and never reused.

Per customer (default): ``<customer.invoice_prefix>-0001`` from ``Customer.next_invoice_sequence``.
Per account (``BillingSettings.invoice_numbering == "account"``): one sequence per mode,
``<account_invoice_prefix>-0001``. The counter rows are read under ``SELECT … FOR UPDATE`` and
written back in the same transaction that finalizes the invoices, so two finalizations at once
never draw the same number (and the unique constraint on (livemode, number) would stop them).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from seikyu.billing.models import BillingSettings, Customer, Invoice
from seikyu.db.rows import bulk_save

# A customer's or the account's prefix: no hyphen, so "<prefix>-" starts the numbers of one prefix.
INVOICE_PREFIX = re.compile(r"^[A-Z0-9]{3,12}$")


def format_number(prefix: str, sequence: int) -> str:
    return f"{prefix}-{sequence:04d}"


def assign_numbers(
    invoices: Sequence[Invoice],
    customers: Mapping[str, Customer],
    settings: Mapping[bool, BillingSettings],
) -> None:
    """Give each invoice its number. ``customers`` must be locked by the caller, who also saves
    their ``next_invoice_sequence`` (finalization writes each customer row once, with its
    balance); account counters are locked and saved here."""
    account_modes = sorted({inv.livemode for inv in invoices if settings[inv.livemode].invoice_numbering == "account"})
    counters = {s.livemode: s for s in BillingSettings.objects.select_for_update().filter(livemode__in=account_modes)}
    for invoice in invoices:
        if invoice.livemode in counters:
            counter = counters[invoice.livemode]
            invoice.number = format_number(counter.account_invoice_prefix, counter.next_account_invoice_sequence)
            counter.next_account_invoice_sequence += 1
        else:
            customer = customers[invoice.customer_id]
            invoice.number = format_number(customer.invoice_prefix, customer.next_invoice_sequence)
            customer.next_invoice_sequence += 1
    if counters:
        bulk_save(list(counters.values()), ["next_account_invoice_sequence"])
