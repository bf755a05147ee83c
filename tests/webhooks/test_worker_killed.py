"""A worker process killed (SIGKILL) in the middle of sending loses nothing: once its lease ends,
another worker sends the delivery again. Runs real processes on a database of their own."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from live_server import own_database

from .receiver import Receiver

SETUP = """
import django, sys
django.setup()
from seikyu.billing.services import customers
from seikyu.webhooks import services
hook = services.create_endpoint({"url": sys.argv[1], "enabled_events": ["*"]}, livemode=False)
customers.create_customer({"email": "killed@example.jp"}, livemode=False)
print(hook.secret)
"""

WORK = """
import datetime as dt, django, sys
django.setup()
from seikyu.core.clock import real_now
from seikyu.webhooks.services import run_webhook_work
print(run_webhook_work(now=real_now() + dt.timedelta(seconds=float(sys.argv[1]))))
"""

STATE = """
import django, json
django.setup()
from seikyu.core.clock import real_now
from seikyu.webhooks.delivery import lease_for
from seikyu.webhooks.models import Delivery
d = Delivery.objects.get()
print(json.dumps({
    "status": d.status,
    "attempts": list(d.attempts.values_list("status_code", "error")),
    "next_attempt_at": str(d.next_attempt_at),
    "leased": d.next_attempt_at is not None and d.next_attempt_at > real_now(),
    "lease_seconds": lease_for(1).total_seconds(),
}))
"""


def python(script: str, *args: str, env: dict[str, str], **kw) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", script, *args], env=env, text=True, **kw)


def run(script: str, *args: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_worker_killed_mid_send_loses_nothing(tmp_path: Path):
    receiver = Receiver()
    try:
        with own_database(tmp_path) as env:
            env["DJANGO_SETTINGS_MODULE"] = "seikyu.settings"
            secret = run(SETUP, receiver.url, env=env)

            receiver.hold()
            worker = python(WORK, "0", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            assert receiver.holding.wait(60), "the worker never sent the delivery"
            worker.send_signal(signal.SIGKILL)
            assert worker.wait(10) == -signal.SIGKILL
            receiver.let_go()

            state = json.loads(run(STATE, env=env))
            assert state["status"] == "pending" and state["attempts"] == [] and state["leased"], state
            # Another worker finds it still leased to the dead one...
            assert run(WORK, "0", env=env) == "0"
            # ...and sends it again once the lease has ended.
            assert run(WORK, str(state["lease_seconds"] + 1), env=env) == "1"

            events = receiver.events(secret)
            assert len(events) == 2 and events[0].id == events[1].id
            assert events[1].data.object.email == "killed@example.jp"
            assert json.loads(run(STATE, env=env))["status"] == "succeeded"
    finally:
        receiver.down()
