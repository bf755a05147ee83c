"""What payment outcomes do to a subscription's status (called by the invoice engine).

Only the subscription's latest invoice decides its status: an outcome on an older invoice (a
late payment of a superseded renewal) changes nothing. Each change is saved with its
``customer.subscription.updated`` event (``previous_attributes.status``), or
``customer.subscription.deleted`` when the subscription ends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from ..models import Invoice, Subscription
from .subscription_state import end_subscriptions, load_bundles, save_subscriptions, settings_for, snapshot

Status = Subscription.Status
OWING = frozenset({Status.INCOMPLETE, Status.PAST_DUE, Status.UNPAID})


def _latest_for(invoices: Sequence[Invoice], statuses: Collection[str] | None = None) -> list[Subscription]:
    """The subscriptions whose latest invoice is one of these (and, given ``statuses``, in one of
    them), locked for the change."""
    by_sub = {inv.subscription_id: inv.id for inv in invoices if inv.subscription_id}
    if not by_sub:
        return []
    subs = Subscription.objects.select_for_update().filter(id__in=by_sub)
    if statuses is not None:
        subs = subs.filter(status__in=statuses)
    return [s for s in subs.order_by("id") if s.latest_invoice_id == by_sub[s.id]]


def _set_status(subs: Sequence[Subscription], status: str, *, now: dt.datetime) -> None:
    subs = [s for s in subs if s.status != status]
    if not subs:
        return
    if status == Status.CANCELED:
        end_subscriptions(load_bundles(subs), now=now, reason="payment_failed")
        return
    if status == Status.INCOMPLETE_EXPIRED:
        end_subscriptions(load_bundles(subs), now=now, reason=None, status=status)
        return
    bundles = load_bundles(subs)
    before = snapshot(bundles)
    for b in bundles:
        b.sub.status = status
    save_subscriptions(bundles, before=before, now=now, fields=["status"])


def _after_retries(sub: Subscription) -> str:
    """``BillingSettings.subscription_after_retries``: what dunning ends in."""
    choice = settings_for([sub])[sub.livemode].subscription_after_retries
    return {"cancel": Status.CANCELED, "unpaid": Status.UNPAID}.get(choice, Status.PAST_DUE)


def _payment_missing(invoice: Invoice, *, now: dt.datetime, final: bool) -> None:
    for sub in _latest_for([invoice]):
        if sub.status == Status.INCOMPLETE:
            # A first invoice never paid leaves the subscription incomplete until it expires.
            continue
        if sub.status in (Status.ACTIVE, Status.TRIALING, Status.PAST_DUE, Status.UNPAID):
            _set_status([sub], _after_retries(sub) if final else Status.PAST_DUE, now=now)


def on_invoices_paid(invoices: Sequence[Invoice], *, now: dt.datetime) -> None:
    """incomplete / past_due / unpaid → active; trialing and the rest stay as they are."""
    # Only owing subscriptions change: the (usual) active ones are neither read nor locked.
    _set_status(_latest_for(invoices, OWING), Status.ACTIVE, now=now)


def on_invoice_payment_failed(invoice: Invoice, *, now: dt.datetime, final: bool) -> None:
    """A renewal failing makes the subscription past_due; when the retries are exhausted
    (``final``) the account's ``subscription_after_retries`` decides: canceled, unpaid or
    past_due. A failing first invoice keeps the subscription incomplete."""
    _payment_missing(invoice, now=now, final=final)


def on_invoice_action_required(invoice: Invoice, *, now: dt.datetime) -> None:
    """An off-session payment that needs the customer: as a failure that will be retried."""
    _payment_missing(invoice, now=now, final=False)


def on_invoice_overdue(invoice: Invoice, *, now: dt.datetime, final: bool) -> None:
    """A send_invoice invoice unpaid past its due date: past_due; ``final`` applies the same end
    behaviour as exhausted retries."""
    _payment_missing(invoice, now=now, final=final)


def on_invoice_voided(invoice: Invoice, *, now: dt.datetime) -> None:
    """Voiding the latest invoice forgives it: past_due / unpaid → active. A voided first invoice
    means the subscription never started: incomplete → incomplete_expired."""
    subs = _latest_for([invoice])
    _set_status([s for s in subs if s.status == Status.INCOMPLETE], Status.INCOMPLETE_EXPIRED, now=now)
    _set_status([s for s in subs if s.status in (Status.PAST_DUE, Status.UNPAID)], Status.ACTIVE, now=now)


def on_invoice_marked_uncollectible(invoice: Invoice, *, now: dt.datetime) -> None:
    """Writing an invoice off does not change the subscription: its status already reflects the
    dunning outcome (``subscription_after_retries``), which runs alongside this."""
    del invoice, now


def replay_outcomes(invoices: Sequence[Invoice], *, now: dt.datetime) -> None:
    """Invoices the invoice engine finalized (and charged) while creating them — a zero draft
    window — settled before their subscription knew them as its latest invoice; once it does,
    their outcome is applied here."""
    on_invoices_paid([inv for inv in invoices if inv.status == Invoice.Status.PAID], now=now)
    for inv in invoices:
        if inv.status == Invoice.Status.OPEN and inv.attempted and inv.collection_method == "charge_automatically":
            _payment_missing(inv, now=now, final=False)
