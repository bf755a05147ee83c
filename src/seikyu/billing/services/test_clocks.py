"""Test clocks: a frozen time for test-mode customers and everything they own.

Advancing is asynchronous, as in Stripe: ``advance_test_clock`` marks the clock ``advancing`` and
queues ``tasks.advance_clock``; the worker then steps the clock through every instant at which
something is due (renewals, trial ends, invoice finalization, retries), in time order, running the
billing clock at each, and finally sets the target time and ``ready``. Each step commits on its
own and everything the billing clock does is idempotent, so an advance that dies half-way is
simply run again (``resume_stuck_advances``) and carries on from where the clock stands.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Min

from seikyu.core.clock import real_now
from seikyu.core.errors import InvalidRequest, ResourceMissing
from seikyu.core.ids import new_id
from seikyu.events.services import emit

from ..models import Customer, Invoice, Subscription, TestClock
from ..render.clocks import render_test_clock
from ..timed_work import registered
from .billing_clock import run_due_work
from .subscription_params import timestamp

logger = logging.getLogger("seikyu.billing.test_clocks")

Status = TestClock.Status
LIFETIME = dt.timedelta(days=30)
# A step that keeps finding work due at the same instant is a bug, not progress: give up.
MAX_PASSES_PER_INSTANT = 1000
TIMED_WORK_BATCH = 500


def _test_mode_only(livemode: bool) -> None:
    if livemode:
        raise InvalidRequest("Test clocks can only be used in test mode (use a sk_test_ key).")


def get_test_clock(clock_id: str, *, livemode: bool, lock: bool = False) -> TestClock:
    query = TestClock.objects.filter(id=clock_id, livemode=livemode, deleted_at__isnull=True)
    clock = (query.select_for_update() if lock else query).first()
    if clock is None:
        raise ResourceMissing("test_helpers.test_clock", clock_id)
    return clock


def _emit(event_type: str, clock: TestClock) -> None:
    # The clock's own events happen in real time; only the objects on it live in its time.
    emit(event_type, render_test_clock(clock), created=real_now(), livemode=clock.livemode)


@transaction.atomic
def create_test_clock(params: Mapping[str, Any], *, livemode: bool) -> TestClock:
    _test_mode_only(livemode)
    if params.get("frozen_time") is None:
        raise InvalidRequest("Missing required param: frozen_time.", code="parameter_missing", param="frozen_time")
    frozen = timestamp(params["frozen_time"], param="frozen_time")
    now = real_now().replace(microsecond=0)
    clock = TestClock.objects.create(
        id=new_id("clock"),
        livemode=False,
        created=now,
        name=params.get("name"),
        frozen_time=frozen,
        deletes_after=now + LIFETIME,
    )
    _emit("test_helpers.test_clock.created", clock)
    return clock


@transaction.atomic
def advance_test_clock(clock_id: str, params: Mapping[str, Any], *, livemode: bool) -> TestClock:
    """Start moving the clock to ``frozen_time`` (forward only); the worker does the stepping."""
    from ..tasks import advance_clock

    _test_mode_only(livemode)
    clock = get_test_clock(clock_id, livemode=livemode, lock=True)
    if params.get("frozen_time") is None:
        raise InvalidRequest("Missing required param: frozen_time.", code="parameter_missing", param="frozen_time")
    target = timestamp(params["frozen_time"], param="frozen_time")
    if clock.status == Status.ADVANCING:
        raise InvalidRequest(
            f"The test clock {clock.id} is already advancing; wait until its status is ready.", param="frozen_time"
        )
    if target <= clock.frozen_time:
        raise InvalidRequest(
            f"Cannot advance the test clock backwards or to its current time: frozen_time must be after "
            f"{int(clock.frozen_time.timestamp())}.",
            param="frozen_time",
        )
    clock.status = Status.ADVANCING
    clock.advance_target = target
    clock.save(update_fields=["status", "advance_target"])
    _emit("test_helpers.test_clock.advancing", clock)
    # The queued task commits with the status change: an advancing clock always has its task.
    advance_clock.enqueue(clock.id)
    return clock


@transaction.atomic
def delete_test_clock(clock_id: str, *, livemode: bool) -> dict[str, Any]:
    """Deleting a clock deletes its customers (their subscriptions are canceled first), as Stripe does."""
    from .customers import delete_customer

    _test_mode_only(livemode)
    clock = get_test_clock(clock_id, livemode=livemode, lock=True)
    for customer_id in Customer.objects.filter(test_clock=clock, deleted_at__isnull=True).values_list("id", flat=True):
        delete_customer(customer_id, livemode=False)
    clock.deleted_at = clock.frozen_time
    clock.save(update_fields=["deleted_at"])
    _emit("test_helpers.test_clock.deleted", clock)
    return {"id": clock.id, "object": "test_helpers.test_clock", "deleted": True}


def next_due_instant(clock_id: str) -> dt.datetime | None:
    """The earliest time anything on the clock is due: the billing clock's work, or registered
    timed work of other packages (customer emails, say)."""
    subs = Subscription.objects.filter(test_clock_id=clock_id).aggregate(at=Min("next_action_at"))["at"]
    invoices = Invoice.objects.filter(test_clock_id=clock_id).aggregate(at=Min("next_action_at"))["at"]
    others = [work.next_due(clock_id) for work in registered()]
    return min((at for at in (subs, invoices, *others) if at is not None), default=None)


def _run_due_at(at: dt.datetime, clock_id: str) -> int:
    """One round of everything due at ``at`` on the clock: the engine first, so work it creates
    (an invoice to email, say) is seen by the others in the same round."""
    handled = run_due_work(now=at, test_clock_id=clock_id)
    for work in registered():
        handled += work.run_due(at, clock_id, TIMED_WORK_BATCH)
    return handled


def _step(clock_id: str) -> bool:
    """Move the clock to its next due instant (or the target) and run what is due there.
    Returns False once the advance is over."""
    with transaction.atomic():
        clock = TestClock.objects.select_for_update().filter(id=clock_id, deleted_at__isnull=True).first()
        if clock is None or clock.status != Status.ADVANCING or clock.advance_target is None:
            return False
        due = next_due_instant(clock_id)
        at = clock.advance_target if due is None or due > clock.advance_target else max(due, clock.frozen_time)
        clock.frozen_time = at
        clock.save(update_fields=["frozen_time"])
    passes = 0
    while _run_due_at(at, clock_id):
        passes += 1
        if passes > MAX_PASSES_PER_INSTANT:
            raise RuntimeError(f"test clock {clock_id}: work at {at.isoformat()} does not settle")
    with transaction.atomic():
        clock = TestClock.objects.select_for_update().get(id=clock_id)
        if clock.status != Status.ADVANCING:
            return False  # another runner of the same advance finished it
        if at < (clock.advance_target or at):
            return True
        due = next_due_instant(clock_id)
        if due is not None and due <= at:
            raise RuntimeError(f"test clock {clock_id}: work due at {due.isoformat()} was not done")
        clock.status = Status.READY
        clock.advance_target = None
        clock.save(update_fields=["status", "advance_target"])
        _emit("test_helpers.test_clock.ready", clock)
        return False


def run_advance(clock_id: str) -> None:
    """The advance task: step until the target is reached. On an error the clock is left in
    ``internal_failure`` (and the error logged) rather than stuck in ``advancing``."""
    try:
        while _step(clock_id):
            pass
    except Exception:
        logger.exception("test clock %s failed while advancing", clock_id)
        with transaction.atomic():
            clock = TestClock.objects.select_for_update().get(id=clock_id)
            clock.status = Status.INTERNAL_FAILURE
            clock.advance_target = None
            clock.save(update_fields=["status", "advance_target"])
            _emit("test_helpers.test_clock.internal_failure", clock)


def resume_stuck_advances() -> int:
    """Queue the advance again for clocks left ``advancing`` (a worker died mid-way). Running an
    advance twice is harmless: each step re-reads the clock under a lock."""
    from ..tasks import advance_clock

    stuck = list(
        TestClock.objects.filter(status=Status.ADVANCING, deleted_at__isnull=True).values_list("id", flat=True)
    )
    for clock_id in stuck:
        advance_clock.enqueue(clock_id)
    return len(stuck)
