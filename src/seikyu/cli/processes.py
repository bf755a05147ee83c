"""Child processes started together and stopped together (``seikyu run``, ``seikyu worker --concurrency``)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import FrameType

# How long children get to finish their current request or batch after SIGTERM before SIGKILL.
GRACE_SECONDS = 20.0

Children = Mapping[str, "subprocess.Popen[bytes]"]


def seikyu_command(*args: str) -> list[str]:
    """The ``seikyu`` command line for a child, run by this same interpreter."""
    return [sys.executable, "-m", "seikyu.cli", *args]


class _StopRequests:
    """Counts SIGINT/SIGTERM: the first asks for a graceful stop, the second for an immediate one."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.count = 0

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        self.event.set()

    @property
    def forced(self) -> bool:
        return self.count > 1


@contextmanager
def _counting_stop_signals() -> Iterator[_StopRequests]:
    requests = _StopRequests()
    previous = {sig: signal.signal(sig, requests) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield requests
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def supervise(
    commands: Mapping[str, Sequence[str]],
    *,
    env: Mapping[str, str] | None = None,
    stop_when_one_exits: bool = True,
    ready: Callable[[], bool] = lambda: True,
    on_ready: Callable[[], None] | None = None,
) -> int:
    """Run the commands as children until a signal (or, if asked, one child's exit) stops them all.

    Children share our process group, so Ctrl-C in a terminal reaches them directly as well; they
    treat repeated stop signals as one. A second signal to us kills them without waiting.
    ``on_ready`` runs once, as soon as ``ready()`` (polled while waiting) says the children serve.
    Returns 0 after a requested stop, otherwise the first non-zero exit status of a child.
    """
    with _counting_stop_signals() as requests:
        children = {name: subprocess.Popen(list(command), env=env) for name, command in commands.items()}
        try:
            status = _wait(children, requests, stop_when_one_exits=stop_when_one_exits, ready=ready, on_ready=on_ready)
            _stop(children, requests)
            return status
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.kill()
                    child.wait()


def _wait(
    children: Children,
    requests: _StopRequests,
    *,
    stop_when_one_exits: bool,
    ready: Callable[[], bool],
    on_ready: Callable[[], None] | None,
) -> int:
    while not requests.event.is_set():
        if on_ready is not None and ready():
            on_ready()
            on_ready = None
        exited = {name: child.returncode for name, child in children.items() if child.poll() is not None}
        if len(exited) == len(children):
            return next((status for status in exited.values() if status), 0)
        if exited and stop_when_one_exits:
            name, status = next(iter(exited.items()))
            print(f"seikyu: {name} exited with status {status}; stopping the others", file=sys.stderr)
            return status or 1
        requests.event.wait(0.2)
    return 0


def _stop(children: Children, requests: _StopRequests) -> None:
    running = [child for child in children.values() if child.poll() is None]
    for child in running:
        child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    while not requests.forced and time.monotonic() < deadline and any(child.poll() is None for child in running):
        time.sleep(0.1)
