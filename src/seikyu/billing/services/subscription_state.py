"""Subscriptions in batches: load them with everything they render with, decide when they next need
the billing clock, and save them with their events.

Every service that changes a subscription (the API, the billing clock, payment outcomes) goes
through ``save_subscriptions``, so ``next_action_at`` is always recomputed by the one function
``next_action_time`` and every change is announced with ``previous_attributes``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

from seikyu.core.errors import ResourceMissing
from seikyu.db.rows import bulk_save
from seikyu.events.services import PendingEvent, emit_many, previous_attributes

from ..clock import now_for
from ..models import BillingSettings, Discount, Subscription, SubscriptionItem
from ..render.catalog import TaxRates
from ..render.subscriptions import load_related, render_subscription
from .settings import billing_settings_for

Status = Subscription.Status

# Stripe's fixed delays: the trial reminder and how long a first invoice may stay unpaid.
TRIAL_REMINDER_BEFORE = dt.timedelta(days=3)
INCOMPLETE_EXPIRES_AFTER = dt.timedelta(hours=23)

ENDED = frozenset({Status.CANCELED, Status.INCOMPLETE_EXPIRED})
UPDATED = "customer.subscription.updated"
DELETED = "customer.subscription.deleted"

Action = Literal["expire_incomplete", "resume_collection", "cancel_at", "trial_will_end", "upcoming", "period_end"]


@dataclass
class Bundle:
    """A subscription with what it renders and bills with: items (price and product loaded), the
    tax rates it or its items name, and its active discounts (coupon loaded)."""

    sub: Subscription
    items: list[SubscriptionItem]
    tax_rates: TaxRates
    discounts: list[Discount]

    def render(self) -> dict[str, Any]:
        return render_subscription(self.sub, items=self.items, tax_rates=self.tax_rates, discounts=self.discounts)


def load_bundles(subs: Sequence[Subscription]) -> list[Bundle]:
    """Four queries whatever the number of subscriptions."""
    related = load_related(subs)
    return [Bundle(s, related.items[s.id], related.tax_rates, related.discounts[s.id]) for s in subs]


def load_bundle(sub: Subscription) -> Bundle:
    return load_bundles([sub])[0]


# Everything an update may change, saved in one statement.
SUB_FIELDS = [
    "status",
    "description",
    "metadata",
    "collection_method",
    "days_until_due",
    "default_payment_method",
    "default_tax_rates",
    "billing_cycle_anchor",
    "current_period_start",
    "current_period_end",
    "trial_start",
    "trial_end",
    "trial_missing_payment_method",
    "cancel_at",
    "cancel_at_period_end",
    "canceled_at",
    "ended_at",
    "cancellation_details",
    "pause_collection",
    "latest_invoice",
    "trial_will_end_sent_at",
]


def whole_seconds_now(obj: Any) -> dt.datetime:
    """Billing instants are whole seconds, like the timestamps on the wire, so a preview made with
    a ``proration_date`` prorates exactly like the change made with it."""
    return now_for(obj).replace(microsecond=0)


def get_subscription(sub_id: str, *, livemode: bool, lock: bool = False) -> Subscription:
    query = Subscription.objects.select_related("customer").filter(id=sub_id, livemode=livemode)
    sub = (query.select_for_update(of=("self",)) if lock else query).first()
    if sub is None:
        raise ResourceMissing("subscription", sub_id)
    return sub


# --------------------------------------------------------------------------- the schedule


def resumes_at(sub: Subscription) -> dt.datetime | None:
    pause = sub.pause_collection
    if not pause or pause.get("resumes_at") is None:
        return None
    return dt.datetime.fromtimestamp(int(pause["resumes_at"]), dt.UTC)


def upcoming_notice_at(sub: Subscription, settings: BillingSettings) -> dt.datetime | None:
    """When ``invoice.upcoming`` is due for the current period, or None (already sent, no renewal
    coming, or the period is shorter than the notice)."""
    days = settings.upcoming_renewal_days
    if not days or sub.upcoming_sent_for_period_end == sub.current_period_end:
        return None
    if sub.cancel_at_period_end or (sub.cancel_at is not None and sub.cancel_at <= sub.current_period_end):
        return None
    at = sub.current_period_end - dt.timedelta(days=days)
    return at if at > sub.current_period_start else None


def due_actions(sub: Subscription, settings: BillingSettings) -> list[tuple[dt.datetime, Action]]:
    """Everything the billing clock will have to do for this subscription, with its time."""
    if sub.status in ENDED or sub.status == Status.PAUSED:
        return []
    if sub.status == Status.INCOMPLETE:
        return [(sub.created + INCOMPLETE_EXPIRES_AFTER, "expire_incomplete")]
    actions: list[tuple[dt.datetime, Action]] = []
    if (resume := resumes_at(sub)) is not None:
        actions.append((resume, "resume_collection"))
    if sub.cancel_at is not None and sub.cancel_at < sub.current_period_end:
        actions.append((sub.cancel_at, "cancel_at"))
    if sub.status == Status.TRIALING and sub.trial_end is not None and sub.trial_will_end_sent_at is None:
        actions.append((sub.trial_end - TRIAL_REMINDER_BEFORE, "trial_will_end"))
    if (notice := upcoming_notice_at(sub, settings)) is not None:
        actions.append((notice, "upcoming"))
    actions.append((sub.current_period_end, "period_end"))
    return actions


def next_action_time(sub: Subscription, settings: BillingSettings) -> dt.datetime | None:
    """The one definition of ``Subscription.next_action_at``."""
    return min((at for at, _ in due_actions(sub, settings)), default=None)


def settings_for(subs: Iterable[Subscription]) -> dict[bool, BillingSettings]:
    return billing_settings_for(s.livemode for s in subs)


# --------------------------------------------------------------------------- saving


_quiet: ContextVar[frozenset[str]] = ContextVar("seikyu_quiet_subscriptions", default=frozenset())


@contextmanager
def quiet_updates(sub_id: str) -> Iterator[None]:
    """While a subscription is being created its intermediate changes (the first payment turning
    it active) are not announced: ``customer.subscription.created`` carries the final state."""
    token = _quiet.set(_quiet.get() | {sub_id})
    try:
        yield
    finally:
        _quiet.reset(token)


def snapshot(bundles: Iterable[Bundle]) -> dict[str, dict[str, Any]]:
    return {b.sub.id: b.render() for b in bundles}


def save_subscriptions(
    bundles: Sequence[Bundle],
    *,
    before: Mapping[str, dict[str, Any]],
    now: dt.datetime,
    fields: Iterable[str],
    events: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Write ``fields`` (and the recomputed ``next_action_at``) of changed subscriptions with one
    UPDATE batch and their events with one INSERT.

    Each subscription gets ``customer.subscription.updated`` with ``previous_attributes`` when its
    rendering changed, unless ``events`` names other types for it (``deleted`` replaces ``updated``;
    ``paused``/``resumed``/``created`` come as given). ``before`` holds renderings from ``snapshot``.
    """
    if not bundles:
        return
    settings = settings_for(b.sub for b in bundles)
    for b in bundles:
        b.sub.next_action_at = next_action_time(b.sub, settings[b.sub.livemode])
    bulk_save([b.sub for b in bundles], sorted({*fields, "next_action_at"}))
    quiet = _quiet.get()
    pending: list[PendingEvent] = []
    for b in bundles:
        after = b.render()
        types = (events or {}).get(b.sub.id, (UPDATED,))
        for event_type in types:
            if event_type == UPDATED:
                changed = previous_attributes(before.get(b.sub.id, {}), after)
                if changed and b.sub.id not in quiet:
                    pending.append(PendingEvent(UPDATED, after, now, b.sub.livemode, changed))
            else:
                pending.append(PendingEvent(event_type, after, now, b.sub.livemode))
    emit_many(pending)


def end_subscriptions(
    bundles: Sequence[Bundle],
    *,
    now: dt.datetime,
    reason: str | None,
    status: str = Status.CANCELED,
    ended_at: Mapping[str, dt.datetime] | None = None,
) -> None:
    """End subscriptions (at ``now``, or at their own instant in ``ended_at``): canceled ones get
    ``customer.subscription.deleted``; an expired incomplete one (never started) only
    ``customer.subscription.updated``."""
    if not bundles:
        return
    before = snapshot(bundles)
    for b in bundles:
        sub = b.sub
        end = (ended_at or {}).get(sub.id, now)
        sub.status = status
        sub.canceled_at = sub.canceled_at or end
        sub.ended_at = end
        if reason is not None:
            sub.cancellation_details = {**(sub.cancellation_details or {}), "reason": reason}
    event = DELETED if status == Status.CANCELED else UPDATED
    save_subscriptions(
        bundles,
        before=before,
        now=now,
        fields=["status", "canceled_at", "ended_at", "cancellation_details"],
        events={b.sub.id: (event,) for b in bundles},
    )
