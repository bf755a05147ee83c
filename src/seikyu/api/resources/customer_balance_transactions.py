"""``/v1/customers/{id}/balance_transactions``: the history of a customer's balance, and adjustments."""

from __future__ import annotations

from typing import Any

from seikyu.api.params import ListParams, Metadata, Params
from seikyu.api.query import paginate
from seikyu.api.routing import ApiRequest, Router
from seikyu.billing.models import CustomerBalanceTransaction
from seikyu.billing.render.credit_notes import render_customer_balance_transaction
from seikyu.billing.services import customer_balance
from seikyu.billing.services.customers import load_customer

router = Router()


class BalanceTransactionCreate(Params):
    amount: int
    currency: str
    description: str | None = None
    metadata: Metadata | None = None


class BalanceTransactionUpdate(Params):
    description: str | None = None
    metadata: Metadata | None = None


class BalanceTransactionList(ListParams):
    invoice: str | None = None
    credit_note: str | None = None


@router.post("/v1/customers/{id}/balance_transactions", returns="customer_balance_transaction")
def create_balance_transaction(req: ApiRequest, params: BalanceTransactionCreate, id: str) -> dict[str, Any]:
    """Adjust a customer's balance (negative: credit, positive: debit), applied to their next invoice."""
    txn = customer_balance.create_balance_transaction(id, params.given(), livemode=req.livemode)
    return render_customer_balance_transaction(txn)


@router.get("/v1/customers/{id}/balance_transactions/{transaction}", returns="customer_balance_transaction")
def retrieve_balance_transaction(req: ApiRequest, params: Params, id: str, transaction: str) -> dict[str, Any]:
    """Retrieve one of a customer's balance transactions."""
    txn = customer_balance.load_balance_transaction(id, transaction, livemode=req.livemode)
    return render_customer_balance_transaction(txn)


@router.post("/v1/customers/{id}/balance_transactions/{transaction}", returns="customer_balance_transaction")
def update_balance_transaction(
    req: ApiRequest, params: BalanceTransactionUpdate, id: str, transaction: str
) -> dict[str, Any]:
    """Change a balance transaction's description or metadata."""
    txn = customer_balance.load_balance_transaction(id, transaction, livemode=req.livemode)
    return render_customer_balance_transaction(customer_balance.update_balance_transaction(txn, params.given()))


@router.get("/v1/customers/{id}/balance_transactions", returns="list")
def list_balance_transactions(req: ApiRequest, params: BalanceTransactionList, id: str) -> dict[str, Any]:
    """A customer's balance transactions, newest first."""
    customer = load_customer(id, livemode=req.livemode)
    qs = CustomerBalanceTransaction.objects.filter(customer_id=customer.id)
    if params.invoice is not None:
        qs = qs.filter(invoice_id=params.invoice)
    if params.credit_note is not None:
        qs = qs.filter(credit_note_id=params.credit_note)
    return paginate(req, qs, params, render_customer_balance_transaction)
