"""Time-driven work outside the billing engine that test clocks must step through.

The billing clock knows its own due work (``next_action_at`` of subscriptions and invoices). Other
packages — customer emails due N days before a trial ends, say — register here, so a test clock
stops at their instants too and runs them in time order with the engine's, and the worker runs them
in real time. The engine never imports those packages: they register themselves on start-up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class TimedWork:
    name: str
    # The earliest instant anything of this kind is due for the objects on a test clock.
    next_due: Callable[[str], dt.datetime | None]
    # Do one batch of what is due at ``now`` for a test clock's objects (or, with None, for objects
    # on no clock); return how many items were handled (0 when nothing was due).
    run_due: Callable[[dt.datetime, str | None, int], int]


_registry: dict[str, TimedWork] = {}


def register(work: TimedWork) -> None:
    """Register (or replace, by name) a kind of timed work; call it from ``AppConfig.ready``."""
    _registry[work.name] = work


def registered() -> tuple[TimedWork, ...]:
    return tuple(_registry.values())
