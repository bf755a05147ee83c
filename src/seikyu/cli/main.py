"""The ``seikyu`` command line. Where data lives comes from the environment (``SEIKYU_DATA_DIR``,
``DATABASE_URL``; see ``seikyu.settings``). ``settings`` (``account.py``) and the developer
commands (``developer.py``) add themselves through their ``register``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from . import account, developer


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seikyu", description="Self-hosted subscription billing.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="migrate and run web + worker together (for a laptop)")
    _add_address(run)
    run.add_argument("--no-demo", dest="demo", action="store_false", help="no demo data on the first run")

    web = commands.add_parser("web", help="serve the API (gunicorn)")
    _add_address(web)
    web.add_argument("--workers", type=_positive, help="processes (default: 1 on SQLite, 2 per CPU otherwise)")
    web.add_argument("--threads", type=_positive, default=8, help="threads per process (default: %(default)s)")
    web.add_argument("--access-log", action="store_true", help="log every request to stdout")

    worker = commands.add_parser("worker", help="run the billing clock, webhook deliveries and queued tasks")
    worker.add_argument("--once", action="store_true", help="do what is due now, then exit")
    worker.add_argument("--concurrency", type=_positive, default=1, help="worker processes (default: 1)")
    worker.add_argument("--batch-size", type=_positive, help="objects per billing batch")
    worker.add_argument(
        "--idle-seconds",
        type=float,
        help="pause when idle (default: $SEIKYU_WORKER_IDLE_SECONDS or 1)",
    )

    commands.add_parser("migrate", help="create or upgrade the database schema")

    keys = commands.add_parser("keys", help="manage API secret keys").add_subparsers(
        dest="keys_command", required=True, metavar="KEYS_COMMAND"
    )
    create = keys.add_parser("create", help="create a secret key and print it (shown only once)")
    create.add_argument("--mode", choices=["test", "live"], default="test", help="default: %(default)s")
    create.add_argument("--name", default="", help="a label for `seikyu keys list`")
    create.add_argument("--quiet", action="store_true", help="print only the key")
    keys.add_parser("list", help="list keys (redacted)")
    revoke = keys.add_parser("revoke", help="revoke a key: it stops authenticating at once")
    revoke.add_argument("id", help="the key's id (key_…), from `seikyu keys list`")

    account.register(commands)
    developer.register(commands)
    return parser


def _add_address(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="default: %(default)s")


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:
        # Ctrl-C before a command took over the signal (while starting up, migrating, loading demo
        # data): stop without a traceback.
        return 130


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(args, "developer_command"):
        # These talk to a server over HTTP with a key: no database here.
        return developer.run(args)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seikyu.settings")
    import django

    django.setup()
    if hasattr(args, "handler"):
        return int(args.handler(args))
    # Command modules import models, so they load only once Django is set up.
    match args.command:
        case "run":
            from .run import run

            return run(host=args.host, port=args.port, demo=args.demo)
        case "web":
            from .web import serve

            serve(
                host=args.host, port=args.port, workers=args.workers, threads=args.threads, access_log=args.access_log
            )
            return 0
        case "worker":
            return _worker(args)
        case "migrate":
            from django.core.management import call_command

            call_command("migrate", interactive=False)
            return 0
        case "keys":
            return _keys(args)
    raise AssertionError(args.command)


def _keys(args: argparse.Namespace) -> int:
    from django.db import DatabaseError

    from . import keys

    try:
        match args.keys_command:
            case "create":
                return keys.create(livemode=args.mode == "live", name=args.name, quiet=args.quiet)
            case "list":
                return keys.list_keys()
            case _:
                return keys.revoke(args.id)
    except DatabaseError as exc:
        print(f"seikyu: {exc}\n(has `seikyu migrate` been run on this database?)", file=sys.stderr)
        return 1


def _worker(args: argparse.Namespace) -> int:
    if args.concurrency > 1:
        from .processes import seikyu_command, supervise

        single = ["worker", *(["--once"] if args.once else [])]
        single += ["--batch-size", str(args.batch_size)] if args.batch_size else []
        single += ["--idle-seconds", str(args.idle_seconds)] if args.idle_seconds is not None else []
        return supervise(
            {f"worker {n}": seikyu_command(*single) for n in range(1, args.concurrency + 1)},
            stop_when_one_exits=not args.once,
        )
    from seikyu.worker import Worker, settle_collector

    worker = Worker(batch_size=args.batch_size, idle_seconds=args.idle_seconds)
    settle_collector()
    with worker.stopping_on_signals():
        done = worker.run(once=args.once)
    if args.once:
        print(f"worker: {done}")
    return 0
