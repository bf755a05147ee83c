"""Webhook delivery benchmark: N events × 1 endpoint, delivered to a fast loopback receiver.

    .venv/bin/python bench/webhooks.py --db postgres --n 20000 [--workers 1] [--limit 500]

Set-up (not timed): a fresh database, one endpoint listening to ``*`` at a receiver running in a
separate process (a bare asyncio HTTP server that answers 200 and counts), and N events written
with ``emit_many`` (a customer object of about 1 KB each). Timed: worker passes
(``run_webhook_work``: fan-out, then signed concurrent delivery, every attempt recorded) until
every delivery succeeded. The figure is deliveries per second, end to end.
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import subprocess
import sys
import time

from benchdb import configure, fresh_postgres_database

BENCH_DB = "seikyu_bench_webhooks"

RECEIVER = r"""
import asyncio, sys

count = 0

class Receiver(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buffer = transport, b""

    def data_received(self, data):
        global count
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end].decode("latin-1").split("\r\n")
            length = next((int(h.split(":", 1)[1]) for h in head[1:] if h.lower().startswith("content-length:")), 0)
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length:]
            if head[0].startswith("GET /count"):
                body = str(count).encode()
            else:
                count += 1
                body = b'{"received":true}'
            self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                                 % (len(body), body))

async def main():
    server = await asyncio.get_running_loop().create_server(Receiver, "127.0.0.1", int(sys.argv[1]))
    print("ready", flush=True)
    await server.serve_forever()

asyncio.run(main())
"""


def start_receiver() -> tuple[subprocess.Popen[str], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process, f"http://127.0.0.1:{port}"


def received(base: str) -> int:
    import httpx

    return int(httpx.get(f"{base}/count").text)


def build(n: int, url: str) -> None:
    from django.core.management import call_command

    from seikyu.core.clock import real_now
    from seikyu.events.services import PendingEvent, emit_many
    from seikyu.webhooks.services import create_endpoint

    call_command("migrate", verbosity=0)
    create_endpoint({"url": f"{url}/webhooks", "enabled_events": ["*"]}, livemode=False)
    now = real_now()
    customer = {
        "id": "cus_bench",
        "object": "customer",
        "address": {"country": "JP", "postal_code": "100-0001", "state": "東京都", "city": "千代田区", "line1": "1-1"},
        "balance": 0,
        "created": int(now.timestamp()),
        "currency": "jpy",
        "email": "bench@example.jp",
        "invoice_prefix": "BENCH",
        "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None},
        "livemode": False,
        "metadata": {"plan": "standard", "region": "tokyo"},
        "name": "株式会社ベンチマーク",
        "preferred_locales": ["ja"],
        "tax_exempt": "none",
        "test_clock": None,
    }
    chunk = 5000
    for offset in range(0, n, chunk):
        emit_many(
            PendingEvent("customer.updated", {**customer, "balance": i}, now, False)
            for i in range(offset, min(n, offset + chunk))
        )


def work(n: int, limit: int) -> None:
    """Worker passes until all ``n`` deliveries succeeded (checked only when a pass was idle)."""
    from django.db import connection

    from seikyu.webhooks.models import Delivery
    from seikyu.webhooks.services import run_webhook_work
    from seikyu.worker import settle_collector

    settle_collector()  # as the worker does when it starts
    while run_webhook_work(limit=limit) or Delivery.objects.filter(status="succeeded").count() < n:
        pass
    connection.close()


def _worker(db: str, n: int, limit: int) -> None:
    configure(db, BENCH_DB)
    work(n, limit)


def timed(db: str, n: int, limit: int, workers: int) -> float:
    started = time.perf_counter()
    if workers == 1:
        work(n, limit)
    else:
        from django.db import connections

        connections.close_all()
        procs = [multiprocessing.Process(target=_worker, args=(db, n, limit)) for _ in range(workers)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
            if p.exitcode != 0:
                raise SystemExit(f"worker failed with exit code {p.exitcode}")
    return time.perf_counter() - started


def check(n: int, base: str) -> None:
    from seikyu.events.models import Event
    from seikyu.webhooks.models import Delivery, DeliveryAttempt

    assert Delivery.objects.filter(status="succeeded").count() == n, "not every event was delivered"
    assert DeliveryAttempt.objects.count() >= n
    assert not Event.objects.exclude(pending_webhooks=0).exists(), "pending_webhooks not back to 0"
    got = received(base)
    assert got >= n, f"the receiver got {got} requests for {n} events"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--limit", type=int, default=500, help="deliveries per worker pass (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=1, help="parallel worker processes (PostgreSQL only)")
    args = parser.parse_args()
    if args.workers > 1 and args.db != "postgres":
        parser.error("--workers > 1 needs --db postgres (SQLite serialises writers)")
    if args.db == "postgres":
        fresh_postgres_database(BENCH_DB)
    configure(args.db, BENCH_DB)
    receiver, base = start_receiver()
    try:
        print(f"setting up {args.n:,} events × 1 endpoint on {args.db} …", flush=True)
        build(args.n, base)
        elapsed = timed(args.db, args.n, args.limit, args.workers)
        check(args.n, base)
    finally:
        receiver.terminate()
        receiver.wait()
    command = f".venv/bin/python bench/webhooks.py --db {args.db} --n {args.n}"
    if args.workers > 1:
        command += f" --workers {args.workers}"
    if args.limit != 500:
        command += f" --limit {args.limit}"
    print(f"webhook deliveries: {args.n / elapsed:,.0f}/s ({args.n:,} in {elapsed:.1f} s)  [{command}]")


if __name__ == "__main__":
    main()
