"""Test clocks in their wire shape (``test_helpers.test_clock``)."""

from __future__ import annotations

from typing import Any

from seikyu.core.clock import to_unix

from ..models import TestClock


def render_test_clock(clock: TestClock) -> dict[str, Any]:
    status_details: dict[str, Any] = {}
    if clock.status == TestClock.Status.ADVANCING:
        status_details = {"advancing": {"target_frozen_time": to_unix(clock.advance_target)}}
    return {
        "id": clock.id,
        "object": "test_helpers.test_clock",
        "created": to_unix(clock.created),
        "deletes_after": to_unix(clock.deletes_after),
        "frozen_time": to_unix(clock.frozen_time),
        "livemode": clock.livemode,
        "name": clock.name,
        "status": clock.status,
        "status_details": status_details,
    }
