"""The PostgreSQL backend makes no ``…_like`` pattern indexes (the migration for databases made
before it drops those they have) and reads timestamps as Django's does."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

drop_like_indexes = importlib.import_module("seikyu.db.migrations.0001_drop_like_indexes").drop_like_indexes


def pattern_indexes() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexdef LIKE %s",
            ["%_pattern_ops%"],
        )
        return sorted(name for (name,) in cursor.fetchall())


@pytest.fixture(autouse=True)
def postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("pattern indexes are PostgreSQL's")


def test_migrated_tables_have_no_pattern_indexes_but_keep_their_key_indexes():
    assert pattern_indexes() == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'billing_invoice'")
        names = {name for (name,) in cursor.fetchall()}
    assert {"billing_invoice_pkey", "invoice_customer_idx", "invoice_due_idx"} <= names


def test_the_migration_drops_pattern_indexes_left_by_djangos_backend_and_nothing_else():
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE INDEX billing_customer_email_0a1b2c3d_like ON billing_customer (email varchar_pattern_ops)"
        )
        cursor.execute("CREATE INDEX billing_customer_name_like ON billing_customer (name)")  # not a pattern index
    assert pattern_indexes() == ["billing_customer_email_0a1b2c3d_like"]
    with connection.schema_editor() as editor:
        drop_like_indexes(None, editor)
    assert pattern_indexes() == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'billing_customer_name_like'")
        assert cursor.fetchone() == (1,)


def test_no_index_is_the_leading_part_of_another():
    # An index on (a) beside one on (a, b) only slows every write: the second serves both.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH idx AS (
                SELECT i.indrelid::regclass::text AS tbl, i.indexrelid::regclass::text AS name,
                       string_to_array(i.indkey::text, ' ') AS cols, i.indisunique AS uniq,
                       i.indpred IS NULL AS whole
                FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
                WHERE c.relnamespace = current_schema()::regnamespace
            )
            SELECT a.name, b.name FROM idx a JOIN idx b ON a.tbl = b.tbl AND a.name <> b.name
            WHERE NOT a.uniq AND a.whole AND b.whole AND cardinality(a.cols) < cardinality(b.cols)
              AND b.cols[1:cardinality(a.cols)] = a.cols
              AND a.tbl NOT LIKE 'auth\\_%' AND a.tbl NOT LIKE 'django\\_%'
            """
        )
        assert cursor.fetchall() == []


def test_timestamps_read_back_as_utc_datetimes_whatever_zone_they_were_written_in():
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz, '2026-04-01 09:00:00.5+09'::timestamptz", [dt.datetime(2026, 4, 1)])
        naive_utc, tokyo = cursor.fetchone()
    assert naive_utc == dt.datetime(2026, 4, 1, tzinfo=dt.UTC) and naive_utc.tzinfo is dt.UTC
    assert tokyo == dt.datetime(2026, 4, 1, 0, 0, 0, 500000, tzinfo=dt.UTC) and tokyo.tzinfo is dt.UTC
