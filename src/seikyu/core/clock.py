"""Real time, in one place, so tests can pin it.

Domain code never calls this directly for billing decisions: it asks
``seikyu.billing.clock.now_for(obj)``, which honours test clocks. This module is the source of
real time underneath, and the only place ``timezone.now()`` is called.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

_pinned: dt.datetime | None = None


def real_now() -> dt.datetime:
    if _pinned is not None:
        return _pinned
    return dt.datetime.now(dt.UTC)


@contextmanager
def pinned(at: dt.datetime) -> Iterator[None]:
    """Pin real time (tests only)."""
    global _pinned
    previous, _pinned = _pinned, at
    try:
        yield
    finally:
        _pinned = previous


def to_unix(value: dt.datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def from_unix(value: int | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromtimestamp(value, dt.UTC)
