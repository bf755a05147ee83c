"""Real worker processes on a database of their own: two at once send each email once, and one
killed in the middle of sending loses nothing (another sends its emails once the lease ends)."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from live_server import own_database
from seikyu.notifications.services import LEASE

from .conftest import SmtpServer, free_port

EMAILS = 40

SETUP = """
import django, sys
django.setup()
from seikyu.account.services import update_account_settings
from seikyu.notifications.alerts import alert_team
update_account_settings({"alert_recipients": ["ops@example.jp"], "email_sender": {"address": "seikyu@example.jp"}})
for n in range(int(sys.argv[1])):
    alert_team(f"Alert {n}", f"Body {n}", livemode=False)
"""

WORK = """
import datetime as dt, django, sys
django.setup()
from django.conf import settings
settings.MAILERS = {"default": {"OPTIONS": {"host": "127.0.0.1", "port": int(sys.argv[1]), "timeout": 30}}}
from seikyu.core.clock import real_now
from seikyu.notifications.services import send_due_emails
now = real_now() + dt.timedelta(seconds=float(sys.argv[2]))
total = 0
while sent := send_due_emails(10, now=now):
    total += sent
print(total)
"""

STATE = """
import django, json
django.setup()
from seikyu.notifications.models import OutboundEmail
print(json.dumps(sorted(OutboundEmail.objects.values_list("status", flat=True).distinct())))
"""


def start(script: str, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args], env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def run(script: str, *args: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def sent_once(server: SmtpServer) -> None:
    ids = [str(r.message["X-Seikyu-Email"]) for r in server.received]
    assert len(ids) == EMAILS and len(set(ids)) == EMAILS


def test_two_workers_at_once_send_each_email_once(tmp_path: Path):
    server = SmtpServer(free_port())
    server.up()
    try:
        with own_database(tmp_path) as env:
            env["DJANGO_SETTINGS_MODULE"] = "seikyu.settings"
            run(SETUP, str(EMAILS), env=env)
            workers = [start(WORK, str(server.port), "0", env=env) for _ in range(2)]
            counts = []
            for worker in workers:
                out, err = worker.communicate(timeout=120)
                assert worker.returncode == 0, err
                counts.append(int(out))
            assert sum(counts) == EMAILS
            sent_once(server)
            assert json.loads(run(STATE, env=env)) == ["sent"]
    finally:
        server.down()


class HoldingServer(SmtpServer):
    """Holds the first recipient command until let go, so a worker can be killed mid-send."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if not self.release.is_set():
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_worker_killed_mid_send_loses_nothing(tmp_path: Path):
    server = HoldingServer(free_port())
    server.up()
    try:
        with own_database(tmp_path) as env:
            env["DJANGO_SETTINGS_MODULE"] = "seikyu.settings"
            run(SETUP, str(EMAILS), env=env)
            worker = start(WORK, str(server.port), "0", env=env)
            assert server.holding.wait(60), "the worker never started sending"
            worker.send_signal(signal.SIGKILL)
            assert worker.wait(10) == -signal.SIGKILL
            server.release.set()
            # Another worker finds the batch leased to the dead one and leaves it...
            assert run(WORK, str(server.port), "0", env=env) == str(EMAILS - 10)
            # ...until the lease ends.
            assert run(WORK, str(server.port), str(LEASE.total_seconds() + 1), env=env) == "10"
            sent_once(server)
            assert json.loads(run(STATE, env=env)) == ["sent"]
    finally:
        server.down()
