"""A real HTTP webhook receiver on loopback (``http.server`` in a thread) that keeps every request.

It can answer with any status, stop listening (connections refused) and come back on the same
port, or hold requests until released, to play a receiver that is down, failing or stuck.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import stripe


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def verified_event(self, secret: str) -> stripe.Event:
        """The event, through the official SDK's signature check (raises if the signature is wrong)."""
        return stripe.Webhook.construct_event(self.body.decode(), self.headers["Stripe-Signature"], secret)


class Receiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.status = 200
        self.response_body = b'{"received": true}'
        self.release = threading.Event()
        self.release.set()
        self.holding = threading.Event()  # set while a request is being held
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0
        self.up()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks"

    def up(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.received.append(Received(self.path, dict(self.headers.items()), body))
                if not receiver.release.is_set():
                    receiver.holding.set()
                    receiver.release.wait(30)
                payload = receiver.response_body
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def down(self) -> None:
        """Stop listening: new connections are refused until ``up``."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def hold(self) -> None:
        """Keep the next requests waiting (no response) until ``let_go``."""
        self.holding.clear()
        self.release.clear()

    def let_go(self) -> None:
        self.release.set()

    def events(self, secret: str) -> list[stripe.Event]:
        return [r.verified_event(secret) for r in self.received]

    def event_ids(self) -> list[str]:
        return [r.json["id"] for r in self.received]

    def clear(self) -> None:
        with self._lock:
            self.received.clear()
