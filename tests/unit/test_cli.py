"""The ``seikyu`` command as operators use it: mostly as subprocesses, against databases of their own."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from django.tasks import task
from django.tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from live_server import free_port, own_database, seikyu, seikyu_command
from seikyu.billing import models as billing
from seikyu.cli.keys import remembered_test_key
from seikyu.cli.main import main
from seikyu.cli.processes import supervise
from seikyu.core.clock import to_unix

START = 1_775_000_000  # 2026-03-31, a test clock's starting time
SECRET = re.compile(r"sk_(test|live)_[A-Za-z0-9]{20,}")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One migrated database (and data dir) for this module's commands: migrating is the slow part."""
    with own_database(Path(tmp_path_factory.mktemp("cli"))) as environment:
        yield environment


def _output_until(process: subprocess.Popen[bytes], stream: IO[bytes], marker: str, timeout: float = 60) -> str:
    """What the process wrote to ``stream`` up to and including ``marker``."""
    output = b""
    deadline = time.monotonic() + timeout
    while marker.encode() not in output:
        assert time.monotonic() < deadline and process.poll() is None, output.decode()
        if select.select([stream], [], [], 0.5)[0]:
            output += os.read(stream.fileno(), 65536)
    return output.decode()


def _authenticates(base_url: str, secret: str) -> bool:
    response = httpx.get(f"{base_url}/v1/customers", auth=(secret, ""))
    assert "error" in response.json() or response.status_code == 200, response.text
    return response.status_code != 401


# keys


def test_keys_create_prints_a_key_that_authenticates_until_revoked(seikyu_server):
    output = seikyu("keys", "create", "--mode", "test", "--name", "billing job", env=seikyu_server.env).stdout
    secret = SECRET.search(output)
    assert secret and secret.group(1) == "test"
    assert _authenticates(seikyu_server.base_url, secret.group())

    listing = seikyu("keys", "list", env=seikyu_server.env).stdout
    (row,) = [line for line in listing.splitlines() if "billing job" in line]
    assert secret.group() not in listing, "a listing must never show a whole secret"
    key_id = row.split()[0]
    assert key_id.startswith("key_") and row.endswith("active")

    assert "Revoked" in seikyu("keys", "revoke", key_id, env=seikyu_server.env).stdout
    assert not _authenticates(seikyu_server.base_url, secret.group())
    (row,) = [line for line in seikyu("keys", "list", env=seikyu_server.env).stdout.splitlines() if key_id in line]
    assert row.endswith("revoked")


@pytest.mark.parametrize("mode", ["test", "live"])
def test_keys_create_quiet_prints_only_the_key(env, mode):
    output = seikyu("keys", "create", "--mode", mode, "--quiet", env=env).stdout
    assert SECRET.fullmatch(output.strip())
    assert output.strip().startswith(f"sk_{mode}_")
    assert output.count("\n") == 1


def test_revoking_an_unknown_key_fails_and_says_why(env):
    failed = seikyu("keys", "revoke", "key_unknown", env=env, check=False)
    assert failed.returncode == 1
    assert "key_unknown" in failed.stderr


# run


@contextmanager
def _spawned(*args: str, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """``seikyu ARGS`` in a session of its own (as from a terminal), killed if a test leaves it running."""
    process = subprocess.Popen(
        seikyu_command(*args), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _printed_key(process: subprocess.Popen[bytes], port: int) -> str:
    """The test key ``seikyu run`` printed, once it says it is running."""
    assert process.stdout is not None
    output = _output_until(process, process.stdout, "Stop with Ctrl-C")
    assert f"http://127.0.0.1:{port}" in output
    (secret,) = re.findall(r"Test secret key: (\S+)", output)
    return secret


def _ctrl_c(process: subprocess.Popen[bytes]) -> int:
    os.killpg(process.pid, signal.SIGINT)
    status = process.wait(timeout=30)
    assert process.stdout is not None
    print(process.stdout.read().decode())  # the rest of its output, shown if the test fails
    return status


def test_run_serves_with_a_test_key_it_remembers_across_runs(env):
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with _spawned("run", "--no-demo", "--port", str(port), env=env) as first:
        secret = _printed_key(first, port)  # printed once the server answers
        assert SECRET.fullmatch(secret) and secret.startswith("sk_test_")
        assert _authenticates(base_url, secret)
        assert _ctrl_c(first) == 0

    with _spawned("run", "--no-demo", "--port", str(port), env=env) as second:
        assert _printed_key(second, port) == secret
        assert _ctrl_c(second) == 0


def test_run_refuses_a_port_in_use(env, seikyu_server):
    port = int(seikyu_server.base_url.rsplit(":", 1)[1])
    refused = seikyu("run", "--no-demo", "--port", str(port), env=env, check=False)
    assert refused.returncode == 1
    assert "already in use" in refused.stderr


@pytest.mark.django_db
def test_the_remembered_key_is_replaced_once_it_no_longer_authenticates(tmp_path):
    from seikyu.api.services import find_api_key, revoke_api_key

    secret, created = remembered_test_key(tmp_path)
    assert created and secret.startswith("sk_test_")
    assert remembered_test_key(tmp_path) == (secret, False)

    key = find_api_key(secret)
    assert key is not None
    revoke_api_key(key.id)
    replacement, created = remembered_test_key(tmp_path)
    assert created and replacement != secret
    assert find_api_key(replacement) is not None


# worker


@task
def add(a: int, b: int) -> int:
    return a + b


@pytest.mark.django_db(transaction=True)
def test_worker_once_runs_queued_tasks_then_exits(capsys):
    queued = add.enqueue(2, 3)
    assert main(["worker", "--once"]) == 0
    queued.refresh()
    assert queued.status == TaskResultStatus.SUCCESSFUL
    assert queued.return_value == 5
    assert "tasks 1" in capsys.readouterr().out


def _clock_advancing_one_day() -> billing.TestClock:
    from seikyu.billing.services.test_clocks import advance_test_clock, create_test_clock

    clock = create_test_clock({"frozen_time": START}, livemode=False)
    return advance_test_clock(clock.id, {"frozen_time": START + 86_400}, livemode=False)


@pytest.mark.django_db(transaction=True)
def test_worker_once_completes_a_test_clock_advance():
    clock = _clock_advancing_one_day()
    assert clock.status == billing.TestClock.Status.ADVANCING
    assert main(["worker", "--once"]) == 0
    clock.refresh_from_db()
    assert (clock.status, to_unix(clock.frozen_time)) == (billing.TestClock.Status.READY, START + 86_400)


@pytest.mark.django_db(transaction=True)
def test_worker_resumes_an_advance_whose_task_was_lost():
    clock = _clock_advancing_one_day()
    DBTaskResult.objects.all().delete()  # as if the queue row had been lost with a crashed worker
    assert main(["worker", "--once"]) == 0
    clock.refresh_from_db()
    assert (clock.status, to_unix(clock.frozen_time)) == (billing.TestClock.Status.READY, START + 86_400)


@pytest.fixture
def webhook_receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A loopback HTTP server answering 200 to every POST; yields its URL and the JSON bodies received."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.django_db(transaction=True)
def test_worker_once_delivers_webhooks_for_new_events(webhook_receiver):
    from seikyu.billing.services.customers import create_customer
    from seikyu.webhooks.services import create_endpoint

    url, received = webhook_receiver
    create_endpoint({"url": url, "enabled_events": ["customer.created"]}, livemode=False)
    customer = create_customer({"name": "Webhook Kabushiki"}, livemode=False)
    assert main(["worker", "--once"]) == 0
    assert [(event["type"], event["data"]["object"]["id"]) for event in received] == [("customer.created", customer.id)]


def test_worker_once_exits_when_nothing_is_due(env):
    started = time.monotonic()
    done = seikyu("worker", "--once", "--concurrency", "2", env=env)
    assert time.monotonic() - started < 30
    assert done.stdout.count("worker: billing 0, timed work 0, webhooks 0, emails 0, documents 0, tasks 0") == 2


def test_worker_stops_promptly_on_sigterm_even_while_idle(env):
    with _spawned("worker", "--idle-seconds", "60", env={**env, "SEIKYU_LOG_LEVEL": "INFO"}) as process:
        assert process.stdout is not None
        _output_until(process, process.stdout, "worker started")
        time.sleep(1)  # past the first pass, into the idle pause
        stopping = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert time.monotonic() - stopping < 5


# supervision


def test_when_one_child_fails_the_others_are_stopped_and_its_status_returned():
    started = time.monotonic()
    status = supervise({"sleeper": ["sleep", "60"], "failing": ["sh", "-c", "exit 3"]})
    assert status == 3
    assert time.monotonic() - started < 15


# commands other modules add to `seikyu`


def test_settings_commands_run_against_the_database(env):
    assert "business.registration_number" in seikyu("settings", "show", env=env).stdout


def test_developer_commands_run_without_a_database():
    from seikyu.cli.developer import listen_secret

    no_database = {**os.environ, "SEIKYU_API_KEY": "sk_test_example", "DATABASE_URL": "postgres://nobody@127.0.0.1:1/x"}
    printed = seikyu("listen", "--print-secret", env=no_database).stdout
    assert printed.strip() == listen_secret("sk_test_example")


@pytest.mark.django_db(transaction=True)
def test_a_slow_job_yields_to_the_others_within_a_pass(monkeypatch):
    """A job that always has more to do (a stream of webhooks to a slow receiver) gets its time
    budget, then the pass moves on to the next job instead of starving it."""
    import seikyu.worker as worker_module

    calls: list[str] = []

    def endless(size: int) -> int:
        calls.append("endless")
        return 1

    def other(size: int) -> int:
        calls.append("other")
        return 0

    monkeypatch.setattr(worker_module, "JOB_BUDGET_SECONDS", 0.05)
    monkeypatch.setattr(worker_module, "JOBS", (("endless", endless), ("other", other)))
    done = worker_module.Worker(idle_seconds=0).run_pass()
    assert calls[-1] == "other"
    assert done.items["endless"] == calls.count("endless") > 1
    assert bool(done)
