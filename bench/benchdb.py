"""The database a benchmark runs on: a fresh PostgreSQL database of its own, or SQLite in a
temporary data directory, and Django set up on it."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("SEIKYU_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")


def fresh_postgres_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def configure(db: str, name: str) -> None:
    """Point Django at ``db`` ("postgres": the database ``name``; "sqlite": a temporary data
    directory, shared with the worker processes a benchmark forks) and set it up.
    ``DJANGO_SETTINGS_MODULE`` may name another settings module to measure."""
    if db == "postgres":
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{name}"
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ.setdefault("SEIKYU_DATA_DIR", tempfile.mkdtemp(prefix=f"{name}-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seikyu.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def analyze() -> None:
    """What autovacuum keeps a PostgreSQL database in between uses: planner statistics and dead
    rows cleared. Without statistics PostgreSQL takes freshly loaded tables for nearly empty and
    plans badly (the bill run's claims become a join and sort of every due row); servers with
    autovacuum off, as CI's is, would never get them."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
