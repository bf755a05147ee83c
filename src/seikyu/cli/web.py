"""``seikyu web``: the Django WSGI application under gunicorn."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from django.conf import settings
from gunicorn.app.base import BaseApplication


def uses_sqlite() -> bool:
    return bool(settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"))


def default_workers() -> int:
    # SQLite allows one writer at a time: one process whose threads queue on the busy timeout.
    # PostgreSQL: processes for the CPU-bound rendering, threads to overlap database waits.
    return 1 if uses_sqlite() else 2 * (os.cpu_count() or 1)


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Callable[..., Any]:
        from seikyu.wsgi import application

        return application


def serve(*, host: str, port: int, workers: int | None, threads: int, access_log: bool) -> None:
    """Serve until SIGTERM (graceful: requests in flight finish) or SIGINT (immediate)."""
    _Gunicorn(
        {
            "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            "workers": workers or default_workers(),
            "threads": threads,
            "worker_class": "gthread",
            "graceful_timeout": 10,
            "accesslog": "-" if access_log else None,
            # Gunicorn's default format names the Basic-auth user, which for this API is the secret key.
            "access_log_format": '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"',
            "loglevel": os.environ.get("SEIKYU_LOG_LEVEL", "info").lower(),
            "proc_name": "seikyu-web",
            # Several servers on one machine (tests, side-by-side installs) would fight over the
            # per-user control socket; nothing here uses it.
            "control_socket_disable": True,
        }
    ).run()
