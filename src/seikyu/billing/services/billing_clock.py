"""The billing clock: everything that happens to subscriptions because time passed.

``run_due_work`` claims one batch of subscriptions whose ``next_action_at`` has come (oldest
first; ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL so workers share the load), does for each
the earliest thing due, then one batch of invoice-side work (finalize, retry, overdue). The worker
calls it until it returns 0; a test clock calls it at each instant it steps through.

A batch costs a constant number of queries whatever its size: renewals build every draft in
memory, make them with one ``create_invoices``, save subscriptions with one ``bulk_save`` and
announce them with one ``emit_many``. Renewal invoices carry ``cycle_key`` = subscription and
period start, so a crash between two steps or a second worker never bills a period twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence

from django.db import connection, transaction

from seikyu.core.clock import real_now
from seikyu.db.rows import bulk_save
from seikyu.events.services import PendingEvent, emit_many

from ..models import BillingSettings, Invoice, Subscription
from .due import DUE_INDEX_ORDER, in_due_order
from .invoice_lifecycle import finalize_invoices, mark_uncollectible, void_invoice
from .invoices import create_invoices, process_due_invoices
from .preview import upcoming_invoices
from .subscription_lines import consume_discounts, discount_ids_for, next_period, renewal_draft
from .subscription_state import (
    UPDATED,
    Action,
    Bundle,
    due_actions,
    end_subscriptions,
    load_bundles,
    next_action_time,
    save_subscriptions,
    settings_for,
    snapshot,
)
from .subscription_status import replay_outcomes

Status = Subscription.Status
logger = logging.getLogger("seikyu.billing.clock")

# A subscription whose processing fails is tried again this much later (the rest of its batch
# goes on): one bad row must never stop the bill run for everyone.
FAILURE_RETRY = dt.timedelta(hours=1)

# Reminders about a period that has already ended are moot: the period's end is handled instead.
_SUPERSEDED_BY_PERIOD_END = frozenset({"trial_will_end", "upcoming"})
_PRIORITY: dict[Action, int] = {
    "expire_incomplete": 0,
    "resume_collection": 1,
    "cancel_at": 2,
    "trial_will_end": 3,
    "upcoming": 4,
    "period_end": 5,
}

__all__ = ["next_action_time", "run_due_work"]


def first_due(sub: Subscription, settings: BillingSettings, now: dt.datetime) -> Action | None:
    due = [(at, action) for at, action in due_actions(sub, settings) if at <= now]
    if any(action == "period_end" for _, action in due):
        due = [(at, action) for at, action in due if action not in _SUPERSEDED_BY_PERIOD_END]
    if not due:
        return None
    return min(due, key=lambda pair: (pair[0], _PRIORITY[pair[1]]))[1]


def _claim(now: dt.datetime, test_clock_id: str | None, limit: int) -> list[Subscription]:
    query = Subscription.objects.filter(next_action_at__lte=now, test_clock_id=test_clock_id)
    if connection.features.has_select_for_update_skip_locked:
        query = query.select_for_update(skip_locked=True, of=("self",))
    return in_due_order(query.select_related("customer").order_by(*DUE_INDEX_ORDER)[:limit])


def run_due_work(*, now: dt.datetime | None = None, test_clock_id: str | None = None, batch_size: int = 500) -> int:
    """Process one batch of due subscriptions and one of due invoices; returns how many were handled.

    ``now`` defaults to real time; with ``test_clock_id`` only that clock's objects are looked at
    (without it, only objects on no clock)."""
    now = (now or real_now()).replace(microsecond=0)
    with transaction.atomic():
        subs = _claim(now, test_clock_id, batch_size)
        try:
            with transaction.atomic():
                _process(subs, now)
        except Exception:
            if test_clock_id is not None:
                raise  # the clock's advance reports it (internal_failure)
            logger.exception("bill run batch of %d failed; retrying its subscriptions one by one", len(subs))
            _process_one_by_one([s.id for s in subs], now)
    return len(subs) + process_due_invoices(now=now, test_clock_id=test_clock_id, limit=batch_size)


def _process_one_by_one(ids: Sequence[str], now: dt.datetime) -> None:
    """Isolate a failing subscription so it cannot hold up the others: it is retried later."""
    for sub_id in ids:
        try:
            with transaction.atomic():
                _process([Subscription.objects.select_related("customer").get(id=sub_id)], now)
        except Exception:
            logger.exception("subscription %s failed in the bill run; retrying in %s", sub_id, FAILURE_RETRY)
            Subscription.objects.filter(id=sub_id).update(next_action_at=now + FAILURE_RETRY)


def _process(subs: Sequence[Subscription], now: dt.datetime) -> None:
    if not subs:
        return
    settings = settings_for(subs)
    groups: dict[Action, list[Bundle]] = defaultdict(list)
    stale = []
    for b in load_bundles(subs):
        action = first_due(b.sub, settings[b.sub.livemode], now)
        if action is None:
            stale.append(b.sub)
        else:
            groups[action].append(b)
    for action in sorted(groups, key=_PRIORITY.__getitem__):
        _HANDLERS[action](groups[action], now)
    if stale:
        # Due by a schedule that no longer holds (settings changed): recompute, nothing to do.
        for sub in stale:
            sub.next_action_at = next_action_time(sub, settings[sub.livemode])
        bulk_save(stale, ["next_action_at"])


# --------------------------------------------------------------------------- handlers


def _expire_incomplete(bundles: list[Bundle], now: dt.datetime) -> None:
    """A first invoice unpaid after 23 hours: the subscription never started, its invoice is voided."""
    end_subscriptions(bundles, now=now, reason=None, status=Status.INCOMPLETE_EXPIRED)
    open_invoices = Invoice.objects.filter(
        id__in=[b.sub.latest_invoice_id for b in bundles if b.sub.latest_invoice_id],
        status__in=[Invoice.Status.OPEN, Invoice.Status.UNCOLLECTIBLE],
    )
    for invoice in open_invoices:
        void_invoice(invoice, now=now)


def _resume_collection(bundles: list[Bundle], now: dt.datetime) -> None:
    before = snapshot(bundles)
    for b in bundles:
        b.sub.pause_collection = None
    save_subscriptions(bundles, before=before, now=now, fields=["pause_collection"])


def _cancel_at(bundles: list[Bundle], now: dt.datetime) -> None:
    ends = {b.sub.id: b.sub.cancel_at for b in bundles if b.sub.cancel_at}
    end_subscriptions(bundles, now=now, reason="cancellation_requested", ended_at=ends)


def _trial_will_end(bundles: list[Bundle], now: dt.datetime) -> None:
    before = snapshot(bundles)
    for b in bundles:
        b.sub.trial_will_end_sent_at = now
    save_subscriptions(
        bundles,
        before=before,
        now=now,
        fields=["trial_will_end_sent_at"],
        events={b.sub.id: ("customer.subscription.trial_will_end",) for b in bundles},
    )


def _upcoming(bundles: list[Bundle], now: dt.datetime) -> None:
    previews = upcoming_invoices(bundles, now=now)
    before = snapshot(bundles)
    for b in bundles:
        b.sub.upcoming_sent_for_period_end = b.sub.current_period_end
    save_subscriptions(bundles, before=before, now=now, fields=["upcoming_sent_for_period_end"])
    emit_many(
        PendingEvent("invoice.upcoming", previews[b.sub.id], now, b.sub.livemode)
        for b in bundles
        if b.sub.id in previews
    )


def _has_payment_method(b: Bundle) -> bool:
    return bool(b.sub.default_payment_method_id or b.sub.customer.default_payment_method_id)


def _period_end(bundles: list[Bundle], now: dt.datetime) -> None:
    """At the end of a period (or trial): cancel what was asked to end, apply the trial's
    missing-payment-method behaviour, renew the rest."""
    canceling, unpaid_trials, pausing, renewing = [], [], [], []
    for b in bundles:
        sub = b.sub
        trial_without_pm = (
            sub.status == Status.TRIALING
            and sub.collection_method == Subscription.CollectionMethod.CHARGE_AUTOMATICALLY
            and not _has_payment_method(b)
        )
        if sub.cancel_at_period_end or sub.cancel_at == sub.current_period_end:
            canceling.append(b)
        elif trial_without_pm and sub.trial_missing_payment_method == "cancel":
            unpaid_trials.append(b)
        elif trial_without_pm and sub.trial_missing_payment_method == "pause":
            pausing.append(b)
        else:
            renewing.append(b)
    ends = {b.sub.id: b.sub.current_period_end for b in bundles}
    end_subscriptions(canceling, now=now, reason="cancellation_requested", ended_at=ends)
    end_subscriptions(unpaid_trials, now=now, reason=None, ended_at=ends)
    _pause(pausing, now)
    renew(renewing, now=now)


def _pause(bundles: list[Bundle], now: dt.datetime) -> None:
    """A trial ended without a payment method (``missing_payment_method=pause``): no invoices
    until the subscription is resumed."""
    before = snapshot(bundles)
    for b in bundles:
        b.sub.status = Status.PAUSED
    save_subscriptions(
        bundles,
        before=before,
        now=now,
        fields=["status"],
        events={b.sub.id: (UPDATED, "customer.subscription.paused") for b in bundles},
    )


def _pause_behavior(sub: Subscription) -> str | None:
    return (sub.pause_collection or {}).get("behavior")


def renew(bundles: Sequence[Bundle], *, now: dt.datetime) -> list[Invoice]:
    """Open the next period of each subscription and bill it with a ``subscription_cycle`` draft
    (which the invoice engine finalizes after the draft window and collects). Pending items, such
    as prorations, ride along. Unpaid subscriptions and ``pause_collection=keep_as_draft`` get
    drafts that never finalize by themselves."""
    if not bundles:
        return []
    before = snapshot(bundles)
    discounts = discount_ids_for(bundles, now=now)
    drafts = [
        renewal_draft(
            b,
            now=now,
            discounts=discounts[b.sub.id],
            auto_advance=b.sub.status != Status.UNPAID and _pause_behavior(b.sub) != "keep_as_draft",
        )
        for b in bundles
    ]
    invoices = create_invoices(drafts)
    by_sub = {inv.subscription_id: inv for inv in invoices}
    for b in bundles:
        sub = b.sub
        sub.current_period_start, sub.current_period_end = next_period(sub, b.items)
        if sub.status == Status.TRIALING:
            sub.status = Status.ACTIVE
        if sub.id in by_sub:
            sub.latest_invoice = by_sub[sub.id]
    consume_discounts(invoices, now=now)
    save_subscriptions(
        bundles,
        before=before,
        now=now,
        fields=["current_period_start", "current_period_end", "status", "latest_invoice"],
    )
    replay_outcomes([inv for inv in invoices if inv.status != Invoice.Status.DRAFT], now=now)
    _apply_pause_behaviors([b.sub for b in bundles], by_sub, now=now)
    return invoices


def _apply_pause_behaviors(
    subs: Sequence[Subscription], by_sub: dict[str | None, Invoice], *, now: dt.datetime
) -> None:
    """``pause_collection`` void / mark_uncollectible: the renewal invoice is finalized and written
    off at once (collection is paused, the service goes on)."""
    actions: dict[str, Callable[..., Invoice]] = {"void": void_invoice, "mark_uncollectible": mark_uncollectible}
    targets = [(by_sub[s.id], actions[b]) for s in subs if (b := _pause_behavior(s)) in actions and s.id in by_sub]
    if not targets:
        return
    finalized = {inv.id: inv for inv in finalize_invoices([inv for inv, _ in targets], now=now)}
    for invoice, action in targets:
        invoice = finalized.get(invoice.id, invoice)
        if invoice.status == Invoice.Status.OPEN:
            action(invoice, now=now)


_HANDLERS: dict[Action, Callable[[list[Bundle], dt.datetime], None]] = {
    "expire_incomplete": _expire_incomplete,
    "resume_collection": _resume_collection,
    "cancel_at": _cancel_at,
    "trial_will_end": _trial_will_end,
    "upcoming": _upcoming,
    "period_end": _period_end,
}
