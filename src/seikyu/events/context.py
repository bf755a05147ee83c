"""Which API request (if any) is causing the current changes, for ``event.request``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str | None
    idempotency_key: str | None


_current: ContextVar[RequestContext | None] = ContextVar("seikyu_request_context", default=None)


@contextmanager
def request_context(request_id: str | None, idempotency_key: str | None) -> Iterator[None]:
    token = _current.set(RequestContext(request_id, idempotency_key))
    try:
        yield
    finally:
        _current.reset(token)


def current_request() -> RequestContext | None:
    return _current.get()
