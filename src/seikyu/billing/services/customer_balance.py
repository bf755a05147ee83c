"""Customer balance transactions: every change of ``Customer.balance`` written here is a
``CustomerBalanceTransaction`` whose ``amount`` is the change and whose ``ending_balance`` is the
balance right after it, in the same transaction, with ``customer.updated`` (previous ``balance``).

``apply_balance_changes`` takes a batch (one query to lock the customers, one insert, one update,
one event insert), so a bill run can record what its invoices do to balances the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from seikyu.core.errors import InvalidRequest, ResourceMissing
from seikyu.core.ids import new_id
from seikyu.db.rows import bulk_save
from seikyu.events.services import PendingEvent, emit_many, previous_attributes

from ..clock import now_for
from ..models import Customer, CustomerBalanceTransaction
from ..render.customers import render_customers
from .catalog import merge_metadata, normalize_currency
from .customers import load_customer

# Stripe's balance transaction types; the invoice ones are for the invoice engine to record.
TYPES = (
    "adjustment",
    "applied_to_invoice",
    "credit_note",
    "initial",
    "invoice_overpaid",
    "invoice_too_large",
    "invoice_too_small",
    "unapplied_from_invoice",
)
MAX_DESCRIPTION = 350


@dataclass(frozen=True)
class BalanceChange:
    """``amount`` is added to the customer's balance: negative = credit for the customer."""

    customer_id: str
    amount: int
    currency: str
    type: str
    created: dt.datetime
    invoice_id: str | None = None
    credit_note_id: str | None = None
    description: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


def lock_customers(ids: Iterable[str]) -> dict[str, Customer]:
    # A fixed lock order (by id) keeps two batches sharing customers from deadlocking.
    return {c.id: c for c in Customer.objects.select_for_update().filter(id__in=set(ids)).order_by("id")}


def usable_balance(balance: int, balance_currency: str | None, invoice_currency: str) -> int:
    """The part of a customer's balance an invoice in ``invoice_currency`` settles: all of it when
    the balance is in that currency (or has none yet), nothing otherwise. As in Stripe, a balance
    in one currency is never applied to an invoice in another."""
    return balance if balance_currency in (None, "", invoice_currency.lower()) else 0


def apply_balance_changes(
    changes: Sequence[BalanceChange], *, customers: Mapping[str, Customer] | None = None, announce: bool = True
) -> list[CustomerBalanceTransaction]:
    """Add each change to its customer's balance, in order, and record it. ``customers``: the
    customers already locked by the caller (they are updated in place); otherwise they are locked
    here. A customer without a currency takes the change's; another currency is refused.
    ``announce=False``: no ``customer.updated`` here, the caller's own event about the customer
    shows the new balance (creating or updating a customer is one event, as in Stripe)."""
    if not changes:
        return []
    with transaction.atomic():
        held = customers if customers is not None else lock_customers({c.customer_id for c in changes})
        before = {cid: (held[cid].balance, held[cid].currency) for cid in {c.customer_id for c in changes}}
        rows = []
        for change in changes:
            if change.type not in TYPES:
                raise ValueError(f"unknown balance transaction type {change.type!r}")
            customer = held[change.customer_id]
            currency = change.currency.lower()
            if customer.currency and customer.currency != currency:
                raise InvalidRequest(
                    f"The customer's balance is in {customer.currency}; it can't take an amount in {currency}.",
                    param="currency",
                )
            customer.currency = currency
            customer.balance += change.amount
            rows.append(
                CustomerBalanceTransaction(
                    id=new_id("cbtxn"),
                    livemode=customer.livemode,
                    created=change.created,
                    metadata=dict(change.metadata),
                    customer_id=customer.id,
                    type=change.type,
                    amount=change.amount,
                    currency=currency,
                    ending_balance=customer.balance,
                    description=change.description,
                    invoice_id=change.invoice_id,
                    credit_note_id=change.credit_note_id,
                )
            )
        CustomerBalanceTransaction.objects.bulk_create(rows)
        changed = [held[cid] for cid in sorted(before) if before[cid] != (held[cid].balance, held[cid].currency)]
        bulk_save(changed, ["balance", "currency"])
        if not announce:
            return rows
        last_at = {row.customer_id: row.created for row in rows}
        events = []
        for customer, rendered in zip(changed, render_customers(changed), strict=True):
            old_balance, old_currency = before[customer.id]
            old = {**rendered, "balance": old_balance, "currency": old_currency}
            events.append(
                PendingEvent(
                    "customer.updated",
                    rendered,
                    last_at[customer.id],
                    customer.livemode,
                    previous_attributes(old, rendered),
                )
            )
        emit_many(events)
    return rows


def _description(value: Any) -> str | None:
    if value is not None and len(str(value)) > MAX_DESCRIPTION:
        raise InvalidRequest(f"Invalid description: must be at most {MAX_DESCRIPTION} characters", param="description")
    return None if value is None else str(value)


def create_balance_transaction(
    customer_id: str, data: Mapping[str, Any], *, livemode: bool
) -> CustomerBalanceTransaction:
    """``POST /v1/customers/{id}/balance_transactions``: an ``adjustment`` of ``amount`` (negative
    credits the customer, positive debits) in ``currency``, applied to their next invoice."""
    if data.get("amount") is None:
        raise InvalidRequest("Missing required param: amount.", code="parameter_missing", param="amount")
    if data.get("currency") is None:
        raise InvalidRequest("Missing required param: currency.", code="parameter_missing", param="currency")
    amount = int(data["amount"])
    if amount == 0:
        raise InvalidRequest("The amount must not be zero.", param="amount")
    currency = normalize_currency(data["currency"], "currency")
    description = _description(data.get("description"))
    metadata = merge_metadata({}, data.get("metadata") or {})
    with transaction.atomic():
        customer = load_customer(customer_id, livemode=livemode, for_update=True)
        change = BalanceChange(
            customer_id=customer.id,
            amount=amount,
            currency=currency,
            type="adjustment",
            created=now_for(customer),
            description=description,
            metadata=metadata,
        )
        [txn] = apply_balance_changes([change], customers={customer.id: customer})
    return txn


def load_balance_transaction(customer_id: str, txn_id: str, *, livemode: bool) -> CustomerBalanceTransaction:
    """A transaction of this customer (another customer's counts as missing)."""
    load_customer(customer_id, livemode=livemode)
    txn = CustomerBalanceTransaction.objects.filter(id=txn_id, livemode=livemode, customer_id=customer_id).first()
    if txn is None:
        raise ResourceMissing("customer_balance_transaction", txn_id, param="transaction")
    return txn


def update_balance_transaction(txn: CustomerBalanceTransaction, data: Mapping[str, Any]) -> CustomerBalanceTransaction:
    """Only ``description`` and ``metadata`` change: the amounts are history. No event (Stripe
    has none for balance transactions)."""
    if "description" in data:
        txn.description = _description(data["description"])
    if "metadata" in data:
        txn.metadata = merge_metadata(txn.metadata, data["metadata"])
    txn.save(update_fields=["description", "metadata"])
    return txn
