"""``seikyu run``: everything in one command for a laptop — migrate, a test key, demo data, web and worker."""

from __future__ import annotations

import http.client
import os
import socket
import sys

from django.conf import settings
from django.core.management import call_command
from django.db import connections

from .keys import remembered_test_key
from .processes import seikyu_command, supervise
from .web import uses_sqlite


def run(*, host: str, port: int, demo: bool) -> int:
    if not _port_free(host, port):
        print(f"seikyu: {host}:{port} is already in use; choose another port with --port", file=sys.stderr)
        return 1
    call_command("migrate", interactive=False, verbosity=0)
    secret, first_run = remembered_test_key(settings.DATA_DIR)
    if first_run and demo:
        _create_demo_data()
    # The children open their own connections; ours would only hold SQLite locks meanwhile.
    connections.close_all()

    # Listening on every address: say (and check) the loopback one.
    local = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    url = f"http://[{local}]:{port}" if ":" in local else f"http://{local}:{port}"
    database = f"SQLite in {settings.DATA_DIR}" if uses_sqlite() else "the database in DATABASE_URL"

    def answering() -> bool:
        connection = http.client.HTTPConnection(local, port, timeout=2)
        try:
            # A page that needs no key, so that the check leaves no warning in the log.
            connection.request("GET", "/v1/openapi.json")
            connection.getresponse()
        except OSError:
            return False
        finally:
            connection.close()
        return True

    # On a laptop there is rarely an SMTP server: customer emails go to files unless one is set.
    env = {**os.environ, "SEIKYU_DATA_DIR": str(settings.DATA_DIR)}
    env.setdefault("SEIKYU_LOG_LEVEL", "WARNING")
    env.setdefault("SEIKYU_PUBLIC_URL", url)
    if "SEIKYU_EMAIL_URL" not in env and "SEIKYU_EMAIL_BACKEND" not in env:
        env["SEIKYU_EMAIL_URL"] = f"file://{settings.DATA_DIR / 'emails'}"

    def announce() -> None:
        print(f"Seikyu is running at {url} (API: {url}/v1), data: {database}")
        print(f"Test secret key: {secret}")
        if env.get("SEIKYU_EMAIL_URL", "").startswith("file://"):
            print(f"Customer emails are written to {settings.DATA_DIR / 'emails'} (set SEIKYU_EMAIL_URL to send them)")
        print("Stop with Ctrl-C.", flush=True)

    return supervise(
        {
            "web": seikyu_command("web", "--host", host, "--port", str(port)),
            "worker": seikyu_command("worker"),
        },
        env=env,
        ready=answering,
        on_ready=announce,
    )


def _create_demo_data() -> None:
    from seikyu.demo.services import create_demo_company

    print(
        "First run: making a demo company (200 customers, a year of billing history made by the engine "
        "on test clocks); this takes a minute or two. Skip it with --no-demo.",
        flush=True,
    )
    counts = create_demo_company(progress=lambda line: print(line, flush=True))
    print("Demo data (test mode): " + ", ".join(f"{count} {kind}" for kind, count in counts.items()))


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True
