"""Bill-run benchmark: N subscriptions due at the same instant, renewed by the billing clock.

    .venv/bin/python bench/bill_run.py --db postgres --n 100000 [--workers 2] [--batch-size 500] [--profile out]

Set-up (not timed): one customer + card + monthly JPY subscription with 10 % tax made through the
services, then cloned N times with bulk inserts into a fresh database. Timed:
  1. renewal: every subscription's period ends → a cycle invoice (draft) per subscription, the
     subscription moves to its next period, events written;
  2. collection, one draft window later: every invoice finalized, numbered, charged through the
     sandbox gateway and paid, with its payment intent, charge and events.
Printed: renewals per second for each phase (the first is the bill run itself) and for both together.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import multiprocessing
import os
import time
from pathlib import Path
from typing import NamedTuple

from benchdb import analyze, configure, fresh_postgres_database

BENCH_DB = "seikyu_bench"


def build(n: int) -> dt.datetime:
    """Migrate and create N identical subscriptions due at one instant; return that instant."""
    from django.core.management import call_command
    from django.db import transaction

    from seikyu.billing.models import Customer, PaymentMethod, Subscription, SubscriptionItem
    from seikyu.billing.services import catalog, customers, payment_methods, subscriptions
    from seikyu.core.clock import pinned
    from seikyu.core.ids import new_id

    call_command("migrate", verbosity=0)
    start = dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC)
    with pinned(start):
        product = catalog.create_product({"name": "Bench plan"}, livemode=False)
        price = catalog.create_price(
            {"product": product.id, "currency": "jpy", "unit_amount": 5000, "recurring": {"interval": "month"}},
            livemode=False,
        )
        tax = catalog.create_tax_rate(
            {"display_name": "消費税", "percentage": "10", "inclusive": False}, livemode=False
        )
        customer = customers.create_customer({"name": "Template", "email": "t@example.jp"}, livemode=False)
        pm = payment_methods.attach_payment_method("pm_card_visa", customer, livemode=False)
        customers.update_customer(customer.id, {"invoice_settings": {"default_payment_method": pm.id}}, livemode=False)
        sub = subscriptions.create_subscription(
            {"customer": customer.id, "items": [{"price": price.id}], "default_tax_rates": [tax.id]}, livemode=False
        )
    template_customer = Customer.objects.get(id=customer.id)
    template_pm = PaymentMethod.objects.get(id=pm.id)
    template_sub = Subscription.objects.get(id=sub.id)
    template_item = SubscriptionItem.objects.get(subscription=template_sub)
    due = template_sub.current_period_end

    def clone[T](obj: T, prefix: str, **changes: object) -> T:
        made = copy.copy(obj)
        made.id = new_id(prefix)  # type: ignore[attr-defined]
        made._state.adding = True  # type: ignore[attr-defined]
        for name, value in changes.items():
            setattr(made, name, value)
        return made

    chunk = 5000
    for offset in range(0, n, chunk):
        rows = range(offset, min(n, offset + chunk))
        custs = [clone(template_customer, "cus", invoice_prefix=f"B{i:08X}", default_payment_method=None) for i in rows]
        pms = [clone(template_pm, "pm", customer_id=c.id) for c in custs]
        subs = [
            clone(
                template_sub,
                "sub",
                customer_id=c.id,
                latest_invoice=None,
                upcoming_sent_for_period_end=due,
                next_action_at=due,
            )
            for c in custs
        ]
        items = [clone(template_item, "si", subscription_id=s.id) for s in subs]
        with transaction.atomic():
            # Customers first (cards point at them), then their default card.
            Customer.objects.bulk_create(custs)
            PaymentMethod.objects.bulk_create(pms)
            for c, p in zip(custs, pms, strict=True):
                c.default_payment_method_id = p.id
            Customer.objects.bulk_update(custs, ["default_payment_method"])
            Subscription.objects.bulk_create(subs)
            SubscriptionItem.objects.bulk_create(items)
    # The template itself is not part of the run.
    Subscription.objects.filter(id=template_sub.id).update(next_action_at=None)
    return due


def backend_cpu_seconds() -> float:
    """CPU time used so far by this connection's PostgreSQL backend (the server runs on this host);
    0 for SQLite, whose work is part of the Python process's own time."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def drain(at: float, batch_size: int) -> tuple[float, float]:
    """Run the billing clock at ``at`` until nothing is due; returns the CPU seconds it took in
    Python and in the database server."""
    from django.db import connection

    from seikyu.billing.services.billing_clock import run_due_work
    from seikyu.core.clock import from_unix
    from seikyu.worker import settle_collector

    now = from_unix(int(at))
    settle_collector()  # as the worker does when it starts
    db_started = backend_cpu_seconds()
    py_started = time.process_time()
    while run_due_work(now=now, batch_size=batch_size):
        pass
    py_cpu = time.process_time() - py_started
    db_cpu = backend_cpu_seconds() - db_started
    connection.close()
    return py_cpu, db_cpu


def _worker(db: str, at: float, batch_size: int, results: multiprocessing.Queue) -> None:
    configure(db, BENCH_DB)
    results.put(drain(at, batch_size))


class Phase(NamedTuple):
    seconds: float
    python_cpu: float
    database_cpu: float

    def report(self, name: str, n: int) -> str:
        return (
            f"{name}: {n / self.seconds:,.0f}/s ({self.seconds:.1f} s; CPU per renewal: "
            f"Python {1000 * self.python_cpu / n:.2f} ms, database {1000 * self.database_cpu / n:.2f} ms)"
        )


def timed_phase(db: str, at: dt.datetime, batch_size: int, workers: int, profile: str | None = None) -> Phase:
    # In production a bill run meets tables a month old, and collection comes an hour after renewal.
    analyze()
    started = time.perf_counter()
    if profile:
        import cProfile
        import pstats

        with cProfile.Profile() as profiler:
            cpu = drain(at.timestamp(), batch_size)
        elapsed = time.perf_counter() - started
        profiler.dump_stats(profile)
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)
        return Phase(elapsed, *cpu)
    if workers == 1:
        cpu = drain(at.timestamp(), batch_size)
    else:
        from django.db import connections

        connections.close_all()
        results: multiprocessing.Queue = multiprocessing.Queue()
        procs = [
            multiprocessing.Process(target=_worker, args=(db, at.timestamp(), batch_size, results))
            for _ in range(workers)
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
            if p.exitcode != 0:
                raise SystemExit(f"worker failed with exit code {p.exitcode}")
        spent = [results.get() for _ in procs]
        cpu = (sum(py for py, _ in spent), sum(db for _, db in spent))
    return Phase(time.perf_counter() - started, *cpu)


def check(n: int) -> None:
    """The run must have billed every subscription exactly once and been paid."""
    from django.db.models import Count, Sum

    from seikyu.billing.models import Invoice

    cycle = Invoice.objects.filter(billing_reason="subscription_cycle")
    stats = cycle.aggregate(count=Count("id"), paid=Sum("amount_paid"))
    paid = cycle.filter(status="paid").count()
    assert stats["count"] == n, f"expected {n} cycle invoices, found {stats['count']}"
    assert paid == n, f"expected {n} paid invoices, found {paid}"
    assert stats["paid"] == n * 5500, f"collected {stats['paid']}, expected {n * 5500}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--workers", type=int, default=1, help="parallel worker processes (PostgreSQL only)")
    parser.add_argument(
        "--profile", metavar="PREFIX", help="profile each phase (one worker) into PREFIX.renewal / PREFIX.collection"
    )
    args = parser.parse_args()
    if args.workers > 1 and args.db != "postgres":
        parser.error("--workers > 1 needs --db postgres (SQLite serialises writers)")
    if args.profile and args.workers > 1:
        parser.error("--profile runs the phases in this process: use one worker")
    if args.db == "postgres":
        fresh_postgres_database(BENCH_DB)
    configure(args.db, BENCH_DB)
    print(f"setting up {args.n:,} subscriptions on {args.db} …", flush=True)
    due = build(args.n)
    from seikyu.billing.services.settings import get_billing_settings

    window = dt.timedelta(seconds=get_billing_settings(False).invoice_draft_window_seconds)
    profile = args.profile
    renew = timed_phase(args.db, due, args.batch_size, args.workers, profile and f"{profile}.renewal")
    collect = timed_phase(args.db, due + window, args.batch_size, args.workers, profile and f"{profile}.collection")
    check(args.n)
    command = f".venv/bin/python bench/bill_run.py --db {args.db} --n {args.n}"
    if args.workers > 1:
        command += f" --workers {args.workers}"
    print(renew.report("renewal (cycle invoices drafted)", args.n))
    print(collect.report("collection (finalized, charged, paid)", args.n))
    both = Phase(*(a + b for a, b in zip(renew, collect, strict=True)))
    print(both.report("complete renewals", args.n) + f"  [{command}]")


if __name__ == "__main__":
    main()
