"""Sending signed webhook requests concurrently. No database access here: the caller claims the
deliveries before and records the outcomes after.

A thread pool sharing one ``httpx.HTTPTransport`` (its keep-alive connections) sends faster than
``httpx.AsyncClient`` on loopback, and a slow receiver only ties up threads until the timeout. The
transport is called directly: a webhook needs none of the client layer (cookies, auth, redirects,
which are not followed anyway), and skipping it saves about a third of the time per request.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata

import httpx

from .signing import signature_header

TIMEOUT_SECONDS = 10.0
CONCURRENCY = 16
EXCERPT_BYTES = 2048
ERROR_CHARS = 500


def _version() -> str:
    try:
        return metadata.version("seikyu")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return "dev"


USER_AGENT = f"Seikyu/{_version()} (+webhooks)"


@dataclass(frozen=True)
class Outgoing:
    url: str
    body: bytes
    secret: str


@dataclass(frozen=True)
class Outcome:
    started: float  # time.monotonic() when the request began
    status_code: int | None
    error: str | None
    latency_ms: int
    excerpt: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


_TIMEOUTS = {"connect": TIMEOUT_SECONDS, "read": TIMEOUT_SECONDS, "write": TIMEOUT_SECONDS, "pool": TIMEOUT_SECONDS}
_sender_of: dict[int, tuple[httpx.HTTPTransport, ThreadPoolExecutor]] = {}


def _sender() -> tuple[httpx.HTTPTransport, ThreadPoolExecutor]:
    """One transport and thread pool per process (a forked child makes its own), made on first
    use: keep-alive connections and the TLS context are reused from one batch to the next."""
    pid = os.getpid()
    if pid not in _sender_of:
        limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
        _sender_of.clear()
        _sender_of[pid] = (
            httpx.HTTPTransport(limits=limits),
            ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="webhook"),
        )
    return _sender_of[pid]


def send_all(requests: Sequence[Outgoing]) -> list[Future[Outcome]]:
    """Start POSTing each request; the futures are in the same order as the requests."""
    transport, pool = _sender()
    return [pool.submit(_send, transport, request) for request in requests]


def _send(transport: httpx.HTTPTransport, request: Outgoing) -> Outcome:
    # The signature's timestamp is wall-clock time: receivers check it against their own clock.
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Stripe-Signature": signature_header(request.secret, timestamp, request.body),
    }
    started = time.monotonic()
    status_code: int | None = None
    error: str | None = None
    excerpt = bytearray()
    try:
        outgoing = httpx.Request("POST", request.url, content=request.body, headers=headers)
        outgoing.extensions["timeout"] = _TIMEOUTS
        response = transport.handle_request(outgoing)
        try:
            status_code = response.status_code
            for chunk in response.iter_bytes():
                excerpt += chunk
                if len(excerpt) >= EXCERPT_BYTES:
                    break
        finally:
            response.close()
    except Exception as exc:  # any failure of one request is that attempt's outcome, never the batch's
        error = f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
        status_code = None
    latency_ms = int((time.monotonic() - started) * 1000)
    text = bytes(excerpt[:EXCERPT_BYTES]).decode("utf-8", errors="replace")
    return Outcome(started, status_code, error, latency_ms, text)
