"""``seikyu listen``, ``trigger`` and ``events tail`` run as commands against a live Seikyu."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from live_server import seikyu, seikyu_command
from seikyu.cli.developer import FIXTURES, form_pairs, listen_secret

from .receiver import Receiver


def cli_env(server) -> dict[str, str]:
    return {**server.env, "SEIKYU_API_BASE": server.base_url, "SEIKYU_API_KEY": server.secret_key}


class Running:
    """A command running in the background whose output lines can be awaited."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: queue.Queue[str] = queue.Queue()
        assert process.stdout is not None
        stdout = process.stdout
        threading.Thread(target=lambda: [self.lines.put(line.rstrip("\n")) for line in stdout], daemon=True).start()

    def wait_for(self, predicate, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if predicate(line):
                return line
        raise AssertionError(f"no matching line within {timeout}s (exit code {self.process.poll()})")


@contextmanager
def running(command: list[str], env: dict[str, str]) -> Iterator[Running]:
    # As from a terminal, where Ctrl-C reaches the command: a suite started in the background
    # (``cmd &``) would otherwise pass SIGINT on ignored.
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        yield Running(process)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def api(server) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, auth=(server.secret_key, ""), timeout=30)


def test_listen_forwards_new_events_signed_with_the_printed_secret(seikyu_server):
    receiver = Receiver()
    try:
        env = cli_env(seikyu_server)
        wanted = "customer.created,customer.updated"
        command = seikyu_command("listen", "--forward-to", receiver.url, "--events", wanted)
        with running(command, env) as listen, api(seikyu_server) as client:
            ready = listen.wait_for(lambda line: line.startswith("Ready!"))
            secret = ready.split("secret is ")[1].split()[0]
            assert secret == listen_secret(seikyu_server.secret_key)

            customer = client.post("/v1/customers", data={"email": "listen@example.jp", "name": "聞く"}).json()
            client.post(f"/v1/customers/{customer['id']}", data={"name": "Listener"})
            client.post("/v1/products", data={"name": "not forwarded"})

            line = listen.wait_for(lambda line: "customer.updated" in line)
            assert "[200] POST " + receiver.url in line
            events = receiver.events(secret)  # every signature verified by the official SDK
            assert [(e.type, e.data.object.id) for e in events] == [
                ("customer.created", customer["id"]),
                ("customer.updated", customer["id"]),
            ]
            assert events[0].data.object.name == "聞く"

            listen.process.send_signal(signal.SIGINT)
            assert listen.process.wait(10) == 0
            listen.wait_for(lambda line: line == "Stopped.")
    finally:
        receiver.down()


def test_listen_print_secret_is_stable_per_key_and_needs_a_key(seikyu_server):
    env = cli_env(seikyu_server)
    first = seikyu("listen", "--print-secret", env=env)
    again = seikyu("listen", "--print-secret", env=env)
    assert first.stdout == again.stdout == listen_secret(seikyu_server.secret_key) + "\n"
    assert listen_secret("sk_test_other") != listen_secret(seikyu_server.secret_key)
    no_key = {k: v for k, v in env.items() if k != "SEIKYU_API_KEY"}
    missing = seikyu("listen", "--print-secret", env=no_key, check=False)
    assert missing.returncode == 1 and "API key" in missing.stderr


@pytest.mark.parametrize("event_type", sorted(FIXTURES))
def test_trigger_makes_the_event_happen(seikyu_server, event_type):
    with api(seikyu_server) as client:
        before = {e["id"] for e in client.get("/v1/events", params={"type": event_type, "limit": 100}).json()["data"]}
        done = seikyu("trigger", event_type, env=cli_env(seikyu_server), check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Created customer cus_" in done.stdout and "Trigger succeeded!" in done.stdout
        after = client.get("/v1/events", params={"type": event_type, "limit": 100}).json()["data"]
        new = [e for e in after if e["id"] not in before]
        assert new, f"no new {event_type} event"
        customer_ids = {line.split()[-1] for line in done.stdout.splitlines() if line.startswith("Created customer")}
        obj = new[0]["data"]["object"]
        assert (obj["id"] if obj["object"] == "customer" else obj["customer"]) in customer_ids


def test_trigger_rejects_an_unknown_event(seikyu_server):
    done = seikyu("trigger", "invoice.nope", env=cli_env(seikyu_server), check=False)
    assert done.returncode == 2 and "invalid choice" in done.stderr


def test_events_tail_prints_events_as_they_happen(seikyu_server):
    command = seikyu_command("events", "tail", "--types", "product.*", "--json", "--interval", "0.2")
    with running(command, cli_env(seikyu_server)) as tail, api(seikyu_server) as client:
        tail.wait_for(lambda line: line.startswith("Waiting for events"))
        client.post("/v1/customers", data={"email": "not-shown@example.jp"})
        product = client.post("/v1/products", data={"name": "Tailed"}).json()
        line = tail.wait_for(lambda line: line.startswith("{"))
        event = json.loads(line)
        assert (event["type"], event["data"]["object"]["id"]) == ("product.created", product["id"])


def test_form_pairs_use_stripes_bracket_encoding():
    assert form_pairs(
        {"items": [{"price": "price_1", "quantity": 2}], "metadata": {"k": "v"}, "flag": True, "none": None}
    ) == [("items[0][price]", "price_1"), ("items[0][quantity]", "2"), ("metadata[k]", "v"), ("flag", "true")]
