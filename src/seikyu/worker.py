"""The worker process: everything that happens because time passed or something was queued.

On start, test-clock advances that a stopped worker left half-done are queued again. Then each
pass runs every job of ``JOBS`` in order, one batch per call until the job reports nothing left:

1. ``billing``: the billing clock (renewals, trial ends, invoice finalization, payment retries);
2. ``timed work``: other packages' time-driven work (customer emails due before a trial ends, …);
3. ``webhooks``: new events fanned out to endpoints, due deliveries sent;
4. ``emails``: queued customer emails and team alerts sent, failed ones retried;
5. ``documents``: PDFs of newly finalized and paid invoices and new credit notes rendered ahead of
   the first download;

then the queued Django tasks (``django-tasks-db``; test-clock advances among them), drained with
that package's own ``Worker``. Billing runs first so the events it emits go out in the same pass.

When a pass did nothing the worker sleeps (``SEIKYU_WORKER_IDLE_SECONDS``, default 1 s) and looks
again. SIGTERM/SIGINT ask it to stop: the batch or task in progress finishes, then it exits. Work is
claimed in the database (``SKIP LOCKED`` on PostgreSQL), so any number of workers can run at once.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType

from django.db import close_old_connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker as TaskWorker
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger("seikyu.worker")

DEFAULT_BATCH_SIZE = 500
# How long one job may keep going within a pass before the others get their turn.
JOB_BUDGET_SECONDS = 5.0
IDLE_SECONDS_ENV = "SEIKYU_WORKER_IDLE_SECONDS"
# Allocations between two young-generation collections (CPython's default is 700).
GC_YOUNG_THRESHOLD = 10_000


def settle_collector() -> None:
    """Set the garbage collector up for batch work, once the process has loaded what it keeps.

    A bill-run batch allocates hundreds of thousands of short-lived containers (rows, renderings,
    event payloads). With CPython's defaults they trigger a collection every 700 allocations, and
    those that live until the batch's end get promoted, so full collections keep coming, each
    walking the ~100,000 objects Django and the loaded modules hold for the process's lifetime:
    about a fifth of the bill run's Python time went to the collector. Frozen objects are never
    walked again, and a higher young threshold makes collections rarer; cycles are still freed."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def default_idle_seconds() -> float:
    return float(os.environ.get(IDLE_SECONDS_ENV, "1"))


def _billing(size: int) -> int:
    from seikyu.billing.services.billing_clock import run_due_work

    return run_due_work(batch_size=size)


def _timed_work(size: int) -> int:
    """Timed work registered by other packages (customer emails due N days ahead, …), in real time."""
    from seikyu.billing.timed_work import registered
    from seikyu.core.clock import real_now

    now = real_now()
    return sum(work.run_due(now, None, size) for work in registered())


def _webhooks(size: int) -> int:
    from seikyu.webhooks.services import run_webhook_work

    return run_webhook_work(limit=size)


def _emails(size: int) -> int:
    from seikyu.notifications.services import send_due_emails

    return send_due_emails(limit=min(size, 50))


def _documents(size: int) -> int:
    from seikyu.documents.services import render_pending_documents

    # Rendering is CPU-bound (tens of PDFs a second): small batches keep a pass short.
    return render_pending_documents(limit=min(size, 20))


# (name, job): each job takes a batch size and returns how many items it handled.
JOBS: tuple[tuple[str, Callable[[int], int]], ...] = (
    ("billing", _billing),
    ("timed work", _timed_work),
    ("webhooks", _webhooks),
    ("emails", _emails),
    ("documents", _documents),
)


@dataclass
class WorkDone:
    items: dict[str, int] = field(default_factory=dict)
    tasks: int = 0

    def __bool__(self) -> bool:
        return bool(self.tasks or any(self.items.values()))

    def __str__(self) -> str:
        parts = [f"{name} {count}" for name, count in self.items.items()]
        return ", ".join([*parts, f"tasks {self.tasks}"])

    def add(self, other: WorkDone) -> None:
        for name, count in other.items.items():
            self.items[name] = self.items.get(name, 0) + count
        self.tasks += other.tasks


class _CountingTaskWorker(TaskWorker):
    """django-tasks-db's worker in batch mode (drain the queue, then return), counting what it ran."""

    def __init__(self) -> None:
        super().__init__(
            queue_names=["*"],
            excluded_queue_names=[],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=get_random_string(32),
        )
        self.ran = 0

    def run_task(self, db_task_result: DBTaskResult) -> None:
        super().run_task(db_task_result)
        self.ran += 1


class Worker:
    def __init__(self, *, batch_size: int | None = None, idle_seconds: float | None = None) -> None:
        self.batch_size = batch_size or DEFAULT_BATCH_SIZE
        self.idle_seconds = default_idle_seconds() if idle_seconds is None else idle_seconds
        self._stopping = threading.Event()
        self._task_worker: _CountingTaskWorker | None = None

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self) -> None:
        """Finish the batch or task in progress, then return from ``run``. Safe to call repeatedly."""
        self._stopping.set()
        if self._task_worker is not None:
            self._task_worker.running = False

    def run(self, *, once: bool = False) -> WorkDone:
        """Work until stopped; with ``once``, until nothing is due and the queue is empty."""
        total = WorkDone()
        from seikyu.billing.services.test_clocks import resume_stuck_advances

        logger.info("worker started: batches of %d, %.1fs pause when idle", self.batch_size, self.idle_seconds)
        resume_stuck_advances()
        while not self.stopping:
            try:
                done = self.run_pass()
            except Exception:
                if once:
                    raise
                # A failing pass (database restart, a bug in one batch) must not end the worker:
                # the work stays due and is retried after the idle pause.
                logger.exception("worker pass failed")
                done = WorkDone()
            total.add(done)
            if once and not done:
                break
            if not done:
                self._stopping.wait(self.idle_seconds)
        return total

    def run_pass(self) -> WorkDone:
        close_old_connections()
        done = WorkDone(items={name: self._until_idle(job) for name, job in JOBS})
        done.tasks = self._run_tasks()
        if done:
            logger.info("worker pass: %s", done)
        return done

    def _until_idle(self, batch: Callable[[int], int]) -> int:
        """Run ``batch(batch_size)`` until it handles nothing, a stop is asked or the job has had its
        time for this pass; the total handled. The budget keeps one slow job (webhooks to a receiver
        that never answers) from holding up the others: the pass then ends busy and the next pass
        starts at once with the billing clock again."""
        handled = 0
        deadline = time.monotonic() + JOB_BUDGET_SECONDS
        while not self.stopping and time.monotonic() < deadline:
            count = batch(self.batch_size)
            handled += count
            if count == 0:
                break
        return handled

    def _run_tasks(self) -> int:
        if self.stopping:
            return 0
        self._task_worker = _CountingTaskWorker()
        try:
            self._task_worker.run()
            return self._task_worker.ran
        finally:
            self._task_worker = None

    @contextmanager
    def stopping_on_signals(self) -> Iterator[None]:
        """SIGTERM and SIGINT call ``stop``; the previous handlers come back afterwards."""

        def handle(signum: int, frame: FrameType | None) -> None:
            logger.warning("%s: stopping after the current batch", signal.strsignal(signum))
            self.stop()

        previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
