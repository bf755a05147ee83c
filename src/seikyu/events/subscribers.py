"""Handlers that run inside the emitting transaction, right after the events are written.

This is how the services layer (notifications, and later automation) reacts to engine changes with
the outbox guarantee: whatever a subscriber writes — an email to send, say — commits exactly when
the change and its events commit, and vanishes with them on rollback. Subscribers receive the
events of one ``emit_many`` call as a list, so a bill-run batch costs one handler call, and must
keep to quick database writes (no network, no rendering).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from .models import Event

Subscriber = Callable[[Sequence[Event]], None]

_subscribers: list[tuple[frozenset[str], Subscriber]] = []


def subscribe(event_types: Iterable[str], handler: Subscriber) -> None:
    """Call ``handler(events)`` with the events of these types (``*``: all) from every emit;
    from ``AppConfig.ready``."""
    _subscribers.append((frozenset(event_types), handler))


def notify_subscribers(events: Sequence[Event]) -> None:
    """Called by ``emit_many`` inside the transaction that wrote ``events``."""
    for types, handler in _subscribers:
        matching = list(events) if "*" in types else [event for event in events if event.type in types]
        if matching:
            handler(matching)
