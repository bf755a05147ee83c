"""The bill run's Python work counted in machine instructions, a figure that does not drift with
the machine's speed.

    .venv/bin/python bench/bill_run_instructions.py [--n 1000] [--keep callgrind.out]

Wall-clock figures on a shared machine move by a quarter from one run to the next, so a change
worth 5 % cannot be seen in them. This builds N subscriptions as ``bill_run.py`` does (PostgreSQL,
database ``seikyu_bench``), then runs both phases of the bill run in one process under valgrind's
callgrind, counting instructions only while the billing clock runs (not start-up, not the
set-up). The count repeats to within 0.1 % and covers the Python process only; the PostgreSQL
server's work is not in it (``bill_run.py`` reports its CPU time). Needs valgrind (Debian package
``valgrind``); takes about two minutes for N = 1,000.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchdb import analyze, configure, fresh_postgres_database
from bill_run import BENCH_DB, build, check


def count(due: dt.datetime) -> None:
    """In the process callgrind watches: both phases, with instruction counting switched on around them."""
    from seikyu.billing.services.billing_clock import run_due_work
    from seikyu.billing.services.settings import get_billing_settings
    from seikyu.worker import settle_collector

    window = dt.timedelta(seconds=get_billing_settings(False).invoice_draft_window_seconds)
    settle_collector()
    pid = str(os.getpid())
    for at in (due, due + window):
        analyze()  # as bill_run.py does before each phase; not counted
        subprocess.run(["callgrind_control", "--instr", "on", pid], check=True, capture_output=True)
        while run_due_work(now=at, batch_size=500):
            pass
        subprocess.run(["callgrind_control", "--instr", "off", pid], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="also keep callgrind's output here, for callgrind_annotate")
    parser.add_argument("--due", type=float, help=argparse.SUPPRESS)  # the counted process
    args = parser.parse_args()
    if args.due is not None:
        configure("postgres", BENCH_DB)
        count(dt.datetime.fromtimestamp(args.due, dt.UTC))
        check(args.n)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("needs valgrind: apt-get install valgrind")
    fresh_postgres_database(BENCH_DB)
    configure("postgres", BENCH_DB)
    print(f"setting up {args.n:,} subscriptions on postgres …", flush=True)
    due = build(args.n)
    from django.db import connections

    connections.close_all()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={out}",
                sys.executable,
                __file__,
                "--n",
                str(args.n),
                "--due",
                str(due.timestamp()),
            ],
            check=True,
            capture_output=True,
        )
        # "totals:", not "summary:", which stays 0 when counting starts switched off.
        totals = [line for line in out.read_text().splitlines() if line.startswith("totals:")]
        if args.keep:
            shutil.copyfile(out, args.keep)
    instructions = int(totals[0].split()[1])
    print(
        f"complete renewals: {instructions / args.n / 1e6:.2f} M instructions each in Python "
        f"({instructions:,} for {args.n:,})  [.venv/bin/python bench/bill_run_instructions.py --n {args.n}]"
    )


if __name__ == "__main__":
    main()
