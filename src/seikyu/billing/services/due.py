"""Claiming time-driven work (rows whose ``next_action_at`` has come) in batches.

Work lists are claimed in the order of their ``(test_clock, next_action_at)`` index, so the
database walks the index and stops after one batch even when a whole bill run is due at the same
instant; a tie-break on ``id`` would make it sort every due row again for every batch. Each batch
is then handled in (time, id) order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Protocol

DUE_INDEX_ORDER = ("test_clock_id", "next_action_at")


class _Due(Protocol):
    id: str
    next_action_at: dt.datetime | None


def in_due_order[D: _Due](rows: Iterable[D]) -> list[D]:
    return sorted(rows, key=lambda row: (row.next_action_at, row.id))
