"""A real Seikyu on loopback for tests that talk to it over HTTP (the official ``stripe`` SDK, httpx).

``start_live_server`` runs ``seikyu web`` and ``seikyu worker`` as subprocesses of this interpreter
against a database of their own: a SQLite file in a temporary data dir, or, when ``DATABASE_URL``
points at PostgreSQL, a fresh ``seikyu_live_<random>`` database on that server, dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
# The worker's pause when idle: short, so test-clock advances and queued work finish promptly.
WORKER_IDLE_SECONDS = "0.2"


def seikyu_command(*args: str) -> list[str]:
    """The ``seikyu`` command line, run by this interpreter (the project's virtualenv)."""
    return [sys.executable, "-m", "seikyu.cli", *args]


def seikyu(*args: str, env: Mapping[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a ``seikyu`` command to completion; with ``check``, a failure raises with its output."""
    done = subprocess.run(seikyu_command(*args), env=dict(env), capture_output=True, text=True, timeout=120)
    if check and done.returncode != 0:
        raise RuntimeError(f"seikyu {' '.join(args)} exited with {done.returncode}\n{done.stdout}{done.stderr}")
    return done


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def own_database(data_dir: Path) -> Iterator[dict[str, str]]:
    """The environment for ``seikyu`` commands using a database nobody else uses, migrated."""
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "SEIKYU_SECRET_KEY")}
    env["SEIKYU_DATA_DIR"] = str(data_dir)
    server_url = os.environ.get("DATABASE_URL", "")
    with ExitStack() as cleanup:
        if server_url.startswith(("postgres://", "postgresql://")):
            env["DATABASE_URL"] = cleanup.enter_context(_postgres_database(server_url))
        seikyu("migrate", env=env)
        yield env


@contextmanager
def _postgres_database(server_url: str) -> Iterator[str]:
    import psycopg

    name = f"seikyu_live_{secrets.token_hex(6)}"
    # Like Django's test runner, administer through the server's "postgres" database: the one
    # named in the URL need not exist.
    with psycopg.connect(server_url, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        parts = urlsplit(server_url)
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server_url, dbname="postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class LiveServer:
    base_url: str  # what ``stripe.api_base`` takes: no ``/v1``
    secret_key: str  # a test-mode key
    data_dir: Path
    env: dict[str, str]  # for more ``seikyu`` commands against the same database
    web_log: Path
    worker_log: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list, repr=False)

    def new_key(self, mode: str = "test") -> str:
        return seikyu("keys", "create", "--mode", mode, "--quiet", env=self.env).stdout.strip()

    def logs(self, max_chars: int = 20_000) -> str:
        """The end of each process log, for a failure report."""
        parts = []
        for log in (self.web_log, self.worker_log):
            text = log.read_text(errors="replace") if log.exists() else "(no log)"
            parts.append(f"----- {log.name} -----\n{text[-max_chars:]}")
        return "\n".join(parts)

    def assert_running(self) -> None:
        for process in self.processes:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args!r} exited with {process.returncode}\n{self.logs()}")


@contextmanager
def start_live_server(data_dir: Path) -> Iterator[LiveServer]:
    with own_database(data_dir) as env:
        env["SEIKYU_WORKER_IDLE_SECONDS"] = WORKER_IDLE_SECONDS
        port = free_port()
        env["SEIKYU_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
        server = LiveServer(
            base_url=f"http://127.0.0.1:{port}",
            secret_key=seikyu("keys", "create", "--mode", "test", "--quiet", "--name", "tests", env=env).stdout.strip(),
            data_dir=data_dir,
            env=env,
            web_log=data_dir / "web.log",
            worker_log=data_dir / "worker.log",
        )
        web = ["web", "--host", "127.0.0.1", "--port", str(port), "--access-log"]
        if "DATABASE_URL" in env:
            # Several suites may share one PostgreSQL server: keep this one's connections few.
            web += ["--workers", "2", "--threads", "4"]
        commands = {
            server.web_log: web,
            server.worker_log: ["worker"],
        }
        try:
            for log, args in commands.items():
                with log.open("wb") as output:
                    server.processes.append(
                        subprocess.Popen(seikyu_command(*args), env=env, stdout=output, stderr=subprocess.STDOUT)
                    )
            _wait_until_answering(server)
            yield server
        finally:
            _stop(server.processes)


def _wait_until_answering(server: LiveServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        server.assert_running()
        try:
            httpx.get(f"{server.base_url}/v1/openapi.json", timeout=5)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"Seikyu did not answer within {STARTUP_TIMEOUT:.0f}s\n{server.logs()}") from None
            time.sleep(0.1)


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
