"""What time it is for a billing object: its test clock's frozen time, or real time."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from seikyu.core.clock import real_now

from .models import TestClock


class OnAClock(Protocol):
    test_clock_id: str | None


def now_for(obj: OnAClock | None) -> dt.datetime:
    """Billing code asks this, never ``timezone.now()``: objects on a test clock live in its time."""
    clock_id = getattr(obj, "test_clock_id", None) if obj is not None else None
    if clock_id is None:
        return real_now()
    return TestClock.objects.values_list("frozen_time", flat=True).get(id=clock_id)
