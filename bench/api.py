"""API benchmark: requests per second and latency of ``seikyu web`` on loopback.

    .venv/bin/python bench/api.py --db postgres --requests 6000 --concurrency 8

Set-up (not timed): a fresh database with 200 customers and a test key, and ``seikyu web``
started as its own process with its default number of worker processes. Timed: ``--requests``
requests from ``--concurrency`` client threads, in equal parts listing customers (20 a page),
retrieving one, and creating one (a write with its event). The client runs on the same machine
and takes its share of the CPUs, as a load generator on a small host would.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import threading
import time

from benchdb import analyze, configure, fresh_postgres_database

BENCH_DB = "seikyu_bench_api"
KINDS = ("list", "retrieve", "create")


def build() -> tuple[str, list[str]]:
    """Migrate, make 200 customers and a test key; return the key and the customers' ids."""
    from django.core.management import call_command
    from django.db import connection

    from seikyu.api.services import create_api_key
    from seikyu.billing.services.customers import create_customer

    call_command("migrate", verbosity=0)
    ids = [
        create_customer({"name": f"株式会社ベンチ{n}", "email": f"c{n}@example.jp"}, livemode=False).id
        for n in range(200)
    ]
    _, secret = create_api_key(livemode=False, name="bench")
    analyze()
    connection.close()
    return secret, ids


def start_web() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "seikyu.cli", "web", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/v1/openapi.json").status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("seikyu web did not start")


Latencies = dict[str, list[float]]


def load(base: str, secret: str, ids: list[str], requests: int, concurrency: int) -> tuple[float, Latencies]:
    """Send the requests; return the seconds they took and each kind's latencies."""
    import httpx

    latencies: Latencies = {kind: [] for kind in KINDS}
    lock = threading.Lock()
    counter = iter(range(requests))

    def client() -> None:
        with httpx.Client(base_url=base, auth=(secret, "")) as http:
            while True:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                kind = KINDS[n % len(KINDS)]
                started = time.perf_counter()
                if kind == "list":
                    response = http.get("/v1/customers", params={"limit": 20})
                elif kind == "retrieve":
                    response = http.get(f"/v1/customers/{ids[n % len(ids)]}")
                else:
                    response = http.post("/v1/customers", data={"name": f"新規{n}", "email": f"n{n}@example.jp"})
                elapsed = time.perf_counter() - started
                assert response.status_code == 200, response.text
                with lock:
                    latencies[kind].append(elapsed)

    # Warm every server process (imports, connections) before timing.
    with httpx.Client(base_url=base, auth=(secret, "")) as http:
        for _ in range(50):
            http.get("/v1/customers", params={"limit": 20})
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100)[int(share * 100) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    if args.db == "postgres":
        fresh_postgres_database(BENCH_DB)
    configure(args.db, BENCH_DB)
    secret, ids = build()
    web, base = start_web()
    try:
        seconds, latencies = load(base, secret, ids, args.requests, args.concurrency)
    finally:
        web.terminate()
        web.wait(timeout=30)
    for kind in KINDS:
        values = latencies[kind]
        print(
            f"{kind}: p50 {1000 * percentile(values, 0.50):.1f} ms, p95 {1000 * percentile(values, 0.95):.1f} ms, "
            f"p99 {1000 * percentile(values, 0.99):.1f} ms"
        )
    command = f".venv/bin/python bench/api.py --db {args.db} --requests {args.requests}"
    command += f" --concurrency {args.concurrency}"
    print(f"requests: {args.requests / seconds:,.0f}/s ({args.requests:,} in {seconds:.1f} s)  [{command}]")


if __name__ == "__main__":
    main()
