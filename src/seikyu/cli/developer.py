"""Developer commands that talk to a Seikyu server over HTTP with an API key, as an integrator's
laptop would: ``listen`` (forward events, signed, to a local URL), ``trigger`` (make an event
happen with a short fixture of API calls) and ``events tail`` (print events as they happen).

``register(subparsers)`` adds them to the ``seikyu`` command line; each parsed command carries its
function in ``args.developer_command``. They need no database: only ``--api-base`` and a key.

``listen`` signs with a secret derived from the API key (HMAC of the key), so it is the same in
every session with that key and ``--print-secret`` can print it for a ``.env`` file, while the key
itself cannot be recovered from it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import json
import os
import string
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import httpx

from seikyu.webhooks.signing import signature_header

DEFAULT_API_BASE = "http://127.0.0.1:8000"
POLL_SECONDS = 0.5
PAGE_SIZE = 100
MAX_PAGES_PER_POLL = 10
REMEMBERED_EVENTS = 10_000
_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


class CommandError(Exception):
    """A failure to report in one line (exit status 1)."""


# --------------------------------------------------------------------------- command line


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    listen = subparsers.add_parser("listen", help="forward events, signed, to a local URL as they happen")
    _add_connection(listen)
    listen.add_argument(
        "--forward-to", metavar="URL", help="where to POST each event (e.g. http://localhost:4242/webhook)"
    )
    listen.add_argument("--events", metavar="TYPES", help="comma-separated event types to forward (default: all)")
    listen.add_argument("--print-secret", action="store_true", help="print the signing secret and exit")
    _add_interval(listen)
    listen.set_defaults(developer_command=listen_command)

    trigger = subparsers.add_parser("trigger", help="make an event happen with a short fixture of API calls")
    _add_connection(trigger)
    trigger.add_argument("event", choices=sorted(FIXTURES), metavar="EVENT", help=", ".join(sorted(FIXTURES)))
    trigger.set_defaults(developer_command=trigger_command)

    events = subparsers.add_parser("events", help="read the event log").add_subparsers(
        dest="events_command", required=True, metavar="EVENTS_COMMAND"
    )
    tail = events.add_parser("tail", help="print events live as they happen")
    _add_connection(tail)
    tail.add_argument("--types", metavar="TYPES", help="comma-separated types, e.g. invoice.*,customer.created")
    tail.add_argument("--json", action="store_true", help="print each whole event as one JSON line")
    _add_interval(tail)
    tail.set_defaults(developer_command=tail_command)


def _add_connection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api-key", default=os.environ.get("SEIKYU_API_KEY"), help="secret key (env SEIKYU_API_KEY)")
    parser.add_argument(
        "--api-base",
        default=os.environ.get("SEIKYU_API_BASE", DEFAULT_API_BASE),
        help="server address (env SEIKYU_API_BASE, default %(default)s)",
    )


def _add_interval(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--interval", type=float, default=POLL_SECONDS, help="seconds between polls (default: %(default)s)"
    )


def run(args: argparse.Namespace) -> int:
    """Run a parsed developer command; errors become one line on stderr."""
    try:
        return int(args.developer_command(args))
    except CommandError as exc:
        print(f"seikyu: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


# --------------------------------------------------------------------------- API access


def form_pairs(params: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Stripe's bracket form encoding: ``items[0][price]=…``, ``metadata[k]=…``, booleans as words."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, Mapping):
            pairs += form_pairs(value, name)
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                item_name = f"{name}[{index}]"
                pairs += form_pairs(item, item_name) if isinstance(item, Mapping) else [(item_name, _scalar(item))]
        elif value is not None:
            pairs.append((name, _scalar(value)))
    return pairs


def _scalar(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _required(api_key: str | None) -> str:
    if not api_key:
        raise CommandError("an API key is needed: pass --api-key or set SEIKYU_API_KEY")
    return api_key


class Api:
    def __init__(self, api_key: str | None, api_base: str) -> None:
        api_key = _required(api_key)
        self.base = api_base.rstrip("/")
        self.http = httpx.Client(
            base_url=self.base, headers={"Authorization": f"Bearer {api_key}"}, timeout=httpx.Timeout(30.0)
        )

    def request(self, method: str, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        pairs: list[tuple[str, str | int | float | bool | None]] = list(form_pairs(params or {}))
        try:
            if method == "GET":
                response = self.http.get(path, params=pairs)
            else:
                # Bracketed names are unique, so a dict keeps every pair.
                response = self.http.request(method, path, data=dict(pairs))
        except httpx.TransportError as exc:
            raise CommandError(f"cannot reach Seikyu at {self.base}: {exc}") from None
        try:
            body: dict[str, Any] = response.json()
        except ValueError:
            raise CommandError(f"HTTP {response.status_code} from {self.base}{path} is not a Seikyu answer") from None
        if response.status_code >= 400:
            error = body.get("error", {})
            raise ApiError(response.status_code, error)
        return body

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self.request("GET", path, params)

    def post(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self.request("POST", path, params)


class ApiError(CommandError):
    def __init__(self, status: int, error: Mapping[str, Any]) -> None:
        param = f" (param: {error['param']})" if error.get("param") else ""
        super().__init__(f"HTTP {status}: {error.get('message', 'error')}{param}")
        self.status = status
        self.error = dict(error)


# --------------------------------------------------------------------------- following events


class EventFeed:
    """New events, oldest first, by polling ``/v1/events`` and remembering the ids already seen.

    The newest page is read on every poll, and further pages while every event on a page is new
    (a burst). Events are handed out in id order, which is the order they were made in.
    """

    def __init__(self, api: Api, types: Sequence[str] = ()) -> None:
        self.api = api
        self.types = list(types)
        self._seen: set[str] = set()
        self._order: deque[str] = deque()

    def _page(self, starting_after: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": PAGE_SIZE, "starting_after": starting_after}
        if self.types:
            params["types"] = self.types
        return self.api.get("/v1/events", params)

    def _remember(self, event_id: str) -> None:
        self._seen.add(event_id)
        self._order.append(event_id)
        if len(self._order) > REMEMBERED_EVENTS:
            self._seen.discard(self._order.popleft())

    def skip_existing(self) -> None:
        """Start from now: what is already in the log is not new."""
        for event in self._page(None)["data"]:
            self._remember(event["id"])

    def poll(self) -> list[dict[str, Any]]:
        fresh: list[dict[str, Any]] = []
        cursor = None
        for _ in range(MAX_PAGES_PER_POLL):
            page = self._page(cursor)
            new = [event for event in page["data"] if event["id"] not in self._seen]
            fresh += new
            if not page["has_more"] or len(new) < len(page["data"]):
                break
            cursor = page["data"][-1]["id"]
        fresh.sort(key=lambda event: event["id"])
        for event in fresh:
            self._remember(event["id"])
        return fresh

    def follow(self, interval: float) -> Iterator[dict[str, Any]]:
        """Every new event, forever (until Ctrl-C). A failed poll is reported and retried."""
        while True:
            try:
                yield from self.poll()
            except CommandError as exc:
                if isinstance(exc, ApiError) and exc.status in (401, 403):
                    raise
                print(f"seikyu: {exc}; retrying", file=sys.stderr, flush=True)
            time.sleep(interval)


def _types(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _now() -> str:
    return dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")


# --------------------------------------------------------------------------- listen


def listen_secret(api_key: str) -> str:
    """The signing secret ``listen`` uses with this key: stable, and says nothing about the key."""
    digest = int.from_bytes(hmac.new(api_key.encode(), b"seikyu listen signing secret", hashlib.sha256).digest())
    chars = []
    for _ in range(32):
        digest, rest = divmod(digest, 62)
        chars.append(_BASE62[rest])
    return "whsec_" + "".join(chars)


def listen_command(args: argparse.Namespace) -> int:
    secret = listen_secret(_required(args.api_key))
    if args.print_secret:
        print(secret)
        return 0
    api = Api(args.api_key, args.api_base)
    feed = EventFeed(api, _types(args.events))
    feed.skip_existing()
    destination = args.forward_to
    if destination and not destination.startswith(("http://", "https://")):
        destination = f"http://{destination}"
    print(f"Ready! Your webhook signing secret is {secret} (^C to quit)", flush=True)
    with httpx.Client(timeout=httpx.Timeout(10.0)) as http:
        try:
            for event in feed.follow(args.interval):
                outcome = _forward(http, destination, event, secret) if destination else ""
                print(f"{_now()}  {event['type']:<40} {event['id']}  {outcome}".rstrip(), flush=True)
        except KeyboardInterrupt:
            print("Stopped.", flush=True)
    return 0


def _forward(http: httpx.Client, url: str, event: Mapping[str, Any], secret: str) -> str:
    body = json.dumps(event, ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Seikyu-CLI (listen)",
        "Stripe-Signature": signature_header(secret, int(time.time()), body),
    }
    try:
        response = http.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return f"[ERROR] POST {url}: {type(exc).__name__}: {exc}"
    return f"[{response.status_code}] POST {url}"


# --------------------------------------------------------------------------- events tail


def tail_command(args: argparse.Namespace) -> int:
    feed = EventFeed(Api(args.api_key, args.api_base), _types(args.types))
    feed.skip_existing()
    print("Waiting for events (^C to quit)", file=sys.stderr, flush=True)
    try:
        for event in feed.follow(args.interval):
            if args.json:
                print(json.dumps(event, ensure_ascii=False), flush=True)
            else:
                obj = event["data"]["object"]
                print(f"{_now()}  {event['type']:<40} {event['id']}  {obj.get('id') or ''}".rstrip(), flush=True)
    except KeyboardInterrupt:
        pass
    return 0


# --------------------------------------------------------------------------- trigger fixtures

Fixture = Callable[["Fixtures"], None]


class Fixtures:
    """The API calls behind ``seikyu trigger``; every object made is printed as it is made."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def made(self, obj: dict[str, Any]) -> dict[str, Any]:
        kind = obj.get("object", "object")
        print(f"Created {kind} {obj['id']}", flush=True)
        return obj

    def customer(self, card: str | None = "pm_card_visa", *, test_clock: str | None = None) -> dict[str, Any]:
        params = {"name": "Seikyu trigger", "email": "trigger@example.com", "test_clock": test_clock}
        customer = self.made(self.api.post("/v1/customers", params))
        if card is not None:
            method = self.made(self.api.post(f"/v1/payment_methods/{card}/attach", {"customer": customer["id"]}))
            self.api.post(
                f"/v1/customers/{customer['id']}", {"invoice_settings": {"default_payment_method": method["id"]}}
            )
        return customer

    def monthly_price(self) -> dict[str, Any]:
        product = self.made(self.api.post("/v1/products", {"name": "Seikyu trigger plan"}))
        return self.made(
            self.api.post(
                "/v1/prices",
                {"product": product["id"], "currency": "jpy", "unit_amount": 1000, "recurring": {"interval": "month"}},
            )
        )

    def open_invoice(self, card: str) -> dict[str, Any]:
        customer = self.customer(card)
        self.made(
            self.api.post(
                "/v1/invoiceitems",
                {"customer": customer["id"], "amount": 2000, "currency": "jpy", "description": "Seikyu trigger item"},
            )
        )
        invoice = self.made(
            self.api.post(
                "/v1/invoices",
                {"customer": customer["id"], "pending_invoice_items_behavior": "include", "auto_advance": False},
            )
        )
        return self.api.post(f"/v1/invoices/{invoice['id']}/finalize")

    def paid_invoice(self) -> dict[str, Any]:
        invoice = self.open_invoice("pm_card_visa")
        paid = self.api.post(f"/v1/invoices/{invoice['id']}/pay")
        print(f"Paid invoice {paid['id']} ({paid['status']})", flush=True)
        return paid

    def advance(self, clock_id: str, to: int, timeout: float = 120.0) -> None:
        clock = self.api.post(f"/v1/test_helpers/test_clocks/{clock_id}/advance", {"frozen_time": to})
        deadline = time.monotonic() + timeout
        while clock["status"] != "ready":
            if clock["status"] == "internal_failure" or time.monotonic() > deadline:
                raise CommandError(f"test clock {clock_id} did not finish advancing (status {clock['status']})")
            time.sleep(0.2)
            clock = self.api.get(f"/v1/test_helpers/test_clocks/{clock_id}")
        print(f"Advanced test_helpers.test_clock {clock_id}", flush=True)


def _customer_created(f: Fixtures) -> None:
    f.customer(card=None)


def _subscription_created(f: Fixtures) -> None:
    customer = f.customer()
    price = f.monthly_price()
    f.made(f.api.post("/v1/subscriptions", {"customer": customer["id"], "items": [{"price": price["id"]}]}))


def _trial_will_end(f: Fixtures) -> None:
    # The reminder is due 3 days before the trial ends: a 4-day trial on a test clock, advanced a day.
    start = int(time.time())
    clock = f.made(f.api.post("/v1/test_helpers/test_clocks", {"frozen_time": start, "name": "seikyu trigger"}))
    customer = f.customer(test_clock=clock["id"])
    price = f.monthly_price()
    f.made(
        f.api.post(
            "/v1/subscriptions",
            {"customer": customer["id"], "items": [{"price": price["id"]}], "trial_period_days": 4},
        )
    )
    f.advance(clock["id"], start + 86_400 + 3_600)


def _invoice_paid(f: Fixtures) -> None:
    f.paid_invoice()


def _invoice_payment_failed(f: Fixtures) -> None:
    invoice = f.open_invoice("pm_card_chargeCustomerFail")
    try:
        f.api.post(f"/v1/invoices/{invoice['id']}/pay")
    except ApiError as exc:
        if exc.status != 402:
            raise
        print(f"Payment declined as intended: {exc.error.get('message')}", flush=True)
    else:
        raise CommandError("the test card was not declined")


def _charge_refunded(f: Fixtures) -> None:
    invoice = f.paid_invoice()
    charges = f.api.get("/v1/charges", {"customer": invoice["customer"], "limit": 1})["data"]
    if not charges:
        raise CommandError(f"invoice {invoice['id']} was paid without a charge")
    f.made(f.api.post("/v1/refunds", {"charge": charges[0]["id"]}))


FIXTURES: dict[str, Fixture] = {
    "customer.created": _customer_created,
    "customer.subscription.created": _subscription_created,
    "customer.subscription.trial_will_end": _trial_will_end,
    "invoice.paid": _invoice_paid,
    "invoice.payment_failed": _invoice_payment_failed,
    "payment_intent.succeeded": _invoice_paid,
    "charge.refunded": _charge_refunded,
}


def trigger_command(args: argparse.Namespace) -> int:
    FIXTURES[args.event](Fixtures(Api(args.api_key, args.api_base)))
    print(f"Trigger succeeded! Check `seikyu events tail` or your listener for {args.event}.", flush=True)
    return 0
