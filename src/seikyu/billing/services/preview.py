"""Invoice previews (``POST /v1/invoices/create_preview`` and ``invoice.upcoming``).

A preview runs the very code that makes the real invoice — the subscription update, the renewal
draft, the invoice engine's totals — inside a savepoint that is always rolled back, events
included. So a preview made with a ``proration_date`` equals, line for line, the invoice that the
same change made with that ``proration_date`` produces.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import transaction

from seikyu.core.errors import InvalidRequest, SeikyuError

from ..models import Invoice, Subscription
from ..render.invoices import render_invoice
from .drafts import InvoiceDraft
from .invoice_items import create_invoice_item
from .invoices import create_invoice, create_invoices
from .subscription_lines import discount_ids_for, renewal_draft
from .subscription_params import get_customer
from .subscription_state import ENDED, Bundle, get_subscription, load_bundle, whole_seconds_now
from .subscription_updates import apply_update
from .subscriptions import create_subscription


class _Discard(Exception):
    pass


@contextmanager
def discarded() -> Iterator[None]:
    """Run the block in a transaction that is always rolled back."""
    try:
        with transaction.atomic():
            yield
            raise _Discard
    except _Discard:
        pass


def as_preview(rendered: dict[str, Any]) -> dict[str, Any]:
    """A would-be invoice has no id; its lines carry temporary ids (``il_tmp_…``)."""
    lines = rendered.get("lines") or {}
    for line in lines.get("data", ()):
        line["id"] = "il_tmp_" + str(line["id"]).removeprefix("il_")
        line["invoice"] = None
    if lines:
        lines["url"] = "/v1/invoices/upcoming/lines"
    return {**rendered, "id": None}


def _as_upcoming(draft: InvoiceDraft) -> InvoiceDraft:
    """A renewal draft turned preview: Stripe calls it ``upcoming``, and it must never collide
    with the real renewal's idempotency key nor finalize by itself."""
    draft.billing_reason = "upcoming"
    draft.cycle_key = None
    draft.auto_advance = False
    return draft


def _will_renew(sub: Subscription) -> bool:
    if sub.status in ENDED or sub.status == Subscription.Status.PAUSED or sub.cancel_at_period_end:
        return False
    return sub.cancel_at is None or sub.cancel_at > sub.current_period_end


def upcoming_invoices(bundles: Sequence[Bundle], *, now: dt.datetime) -> dict[str, dict[str, Any]]:
    """Each subscription's next renewal invoice, rendered (by subscription id), nothing kept."""
    previews: dict[str, dict[str, Any]] = {}
    with discarded():
        discounts = discount_ids_for(bundles, now=now)
        drafts = [
            _as_upcoming(renewal_draft(b, now=b.sub.current_period_end, discounts=discounts[b.sub.id])) for b in bundles
        ]
        for invoice in create_invoices(drafts):
            previews[str(invoice.subscription_id)] = as_preview(render_invoice(invoice))
    return previews


_DETAIL_KEYS = (
    "items",
    "proration_behavior",
    "proration_date",
    "billing_cycle_anchor",
    "cancel_at",
    "cancel_at_period_end",
    "trial_end",
    "default_tax_rates",
)


def _renewal_preview(sub: Subscription, *, include_pending: bool) -> Invoice:
    if not _will_renew(sub):
        raise InvalidRequest(
            f"No upcoming invoices for subscription: {sub.id}", code="invoice_upcoming_none", param="subscription"
        )
    b = load_bundle(sub)
    draft = renewal_draft(
        b,
        now=sub.current_period_end,
        discounts=discount_ids_for([b], now=sub.current_period_end)[sub.id],
        include_pending=include_pending,
    )
    invoice = create_invoice(_as_upcoming(draft))
    assert invoice is not None
    return invoice


def _customer_preview(customer_id: str, *, livemode: bool) -> Invoice:
    customer = get_customer(customer_id, livemode=livemode)
    now = whole_seconds_now(customer)
    currency = customer.currency or "jpy"
    draft = InvoiceDraft(
        customer_id=customer.id,
        currency=currency,
        livemode=livemode,
        created=now,
        billing_reason="manual",
        period_start=now,
        period_end=now,
        lines=[],
        auto_advance=False,
        test_clock_id=customer.test_clock_id,
    )
    invoice = create_invoice(draft)
    if invoice is None or not invoice.lines.exists():
        raise InvalidRequest(
            f"No upcoming invoices for customer: {customer.id}", code="invoice_upcoming_none", param="customer"
        )
    return invoice


def _add_invoice_items(
    raw: Sequence[Mapping[str, Any]] | None, customer_id: str, subscription_id: str | None, *, livemode: bool
) -> None:
    """``invoice_items[]``: one-off charges the previewed invoice would also carry (made as pending
    items of the customer, or of the subscription, inside the discarded transaction)."""
    for index, entry in enumerate(raw or []):
        target = {"customer": customer_id, **({"subscription": subscription_id} if subscription_id else {})}
        try:
            create_invoice_item({**entry, **target}, livemode=livemode)
        except SeikyuError as exc:
            exc.param = f"invoice_items[{index}][{exc.param}]" if exc.param else f"invoice_items[{index}]"
            raise


def preview_invoice(params: Mapping[str, Any], *, livemode: bool) -> dict[str, Any]:
    """``create_preview``: the next invoice of a subscription (``preview_mode=next``: its renewal
    with pending prorations; ``recurring``: the renewal alone), or the invoice a change described by
    ``subscription_details`` would make now (``always_invoice``, interval changes, anchor resets),
    or the first invoice of a new subscription (``customer`` + ``subscription_details[items]``).
    ``invoice_items`` add one-off items to a subscription's or a customer's preview."""
    details = {k: v for k, v in (params.get("subscription_details") or {}).items() if k in _DETAIL_KEYS}
    mode = params.get("preview_mode") or "next"
    if mode not in ("next", "recurring"):
        raise InvalidRequest("Invalid preview_mode: must be one of next, recurring", param="preview_mode")
    if not params.get("customer") and not params.get("subscription"):
        raise InvalidRequest(
            "Missing required param: customer or subscription.", code="parameter_missing", param="customer"
        )
    rendered: dict[str, Any] = {}
    with discarded():
        if params.get("subscription"):
            sub = get_subscription(str(params["subscription"]), livemode=livemode, lock=True)
            if params.get("customer") and params["customer"] != sub.customer_id:
                raise InvalidRequest("The subscription does not belong to this customer.", param="customer")
            _add_invoice_items(params.get("invoice_items"), sub.customer_id, sub.id, livemode=livemode)
            outcome = apply_update(sub, details, preview=True) if details else None
            if outcome is not None and outcome.invoice is not None:
                invoice = outcome.invoice
            else:
                invoice = _renewal_preview(sub, include_pending=mode == "next")
        elif details.get("items"):
            new_sub = create_subscription({**details, "customer": params["customer"]}, livemode=livemode, preview=True)
            invoice = Invoice.objects.get(id=new_sub.latest_invoice_id)
        else:
            _add_invoice_items(params.get("invoice_items"), str(params["customer"]), None, livemode=livemode)
            invoice = _customer_preview(str(params["customer"]), livemode=livemode)
        rendered = as_preview(render_invoice(invoice))
    return rendered
