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


# Unix seconds of instants already converted. Renderings convert the same few instants again and
# again (a batch's period bounds, each object's ``created`` in every event that shows it), and a
# dict lookup costs a quarter of ``timestamp()``. Emptied when full, so it stays small.
_unix_seconds: dict[dt.datetime, int] = {}
_UNIX_SECONDS_KEPT = 50_000


def to_unix(value: dt.datetime | None) -> int | None:
    if value is None:
        return None
    seconds = _unix_seconds.get(value)
    if seconds is None:
        if len(_unix_seconds) >= _UNIX_SECONDS_KEPT:
            _unix_seconds.clear()
        seconds = _unix_seconds[value] = int(value.timestamp())
    return seconds


def from_unix(value: int | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromtimestamp(value, dt.UTC)
