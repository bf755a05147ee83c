"""Events that commit after newer events were already fanned out are still delivered, once.

These tests commit for real (``transaction=True``): fan-out decides what is safe from which
transactions are still running, which a test wrapped in one transaction would hide.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction

from seikyu.billing.services import customers
from seikyu.core.clock import real_now
from seikyu.core.ids import new_id
from seikyu.events.models import Event
from seikyu.events.services import API_VERSION
from seikyu.webhooks import services
from seikyu.webhooks.fanout import GRACE
from seikyu.webhooks.models import Delivery
from seikyu.webhooks.services import run_webhook_work

pytestmark = pytest.mark.django_db(transaction=True)


def _drain(now: dt.datetime) -> None:
    while run_webhook_work(now=now):
        pass


def _emails(receiver, secret: str) -> list[str]:
    return sorted(e.data.object.email for e in receiver.events(secret))


def _wait_for(receiver, count: int, now: dt.datetime) -> None:
    """Fan-out passes until ``count`` requests arrived. Other transactions on the server (any
    database) may hold the horizon back for a moment, so allow some seconds."""
    deadline = time.monotonic() + 60
    while len(receiver.received) < count and time.monotonic() < deadline:
        _drain(now)
        time.sleep(0.05)


def test_an_event_committed_below_the_cursor_is_delivered_once_its_range_is_safe(receiver):
    hook = services.create_endpoint({"url": receiver.url, "enabled_events": ["*"]}, livemode=False)
    late_id = new_id("evt")  # made first, committed last
    customers.create_customer({"email": "fast@example.jp"}, livemode=False)
    t0 = real_now()
    _drain(t0)
    assert _emails(receiver, hook.secret) == ["fast@example.jp"]

    Event.objects.create(
        id=late_id,
        livemode=False,
        type="customer.created",
        created=t0,
        api_version=API_VERSION,
        object_id="cus_late",
        data={"object": {"id": "cus_late", "object": "customer", "email": "late@example.jp"}},
    )
    _drain(t0)
    assert len(receiver.received) == 1  # the cursor is past it; it waits for the safe pass

    _wait_for(receiver, 2, t0 + GRACE + dt.timedelta(seconds=1))
    assert _emails(receiver, hook.secret) == ["fast@example.jp", "late@example.jp"]
    assert Event.objects.get(id=late_id).pending_webhooks == 0

    _drain(t0 + 3 * GRACE)
    assert len(receiver.received) == 2
    assert Delivery.objects.count() == 2


def test_a_slow_transaction_committing_after_a_newer_one_loses_nothing(receiver):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time: commits follow id order")
    hook = services.create_endpoint({"url": receiver.url, "enabled_events": ["*"]}, livemode=False)
    emitted, commit = threading.Event(), threading.Event()

    def slow() -> None:
        try:
            with transaction.atomic():
                customers.create_customer({"email": "slow@example.jp"}, livemode=False)
                emitted.set()
                commit.wait(20)
        finally:
            connection.close()

    writer = threading.Thread(target=slow)
    writer.start()
    assert emitted.wait(20)
    customers.create_customer({"email": "fast@example.jp"}, livemode=False)
    t0 = real_now()
    _drain(t0)
    assert _emails(receiver, hook.secret) == ["fast@example.jp"]

    commit.set()
    writer.join()
    _wait_for(receiver, 2, t0 + GRACE + dt.timedelta(seconds=1))
    assert _emails(receiver, hook.secret) == ["fast@example.jp", "slow@example.jp"]
    _drain(t0 + 3 * GRACE)
    assert len(receiver.received) == 2
