"""Drops the ``…_like`` pattern indexes that Django's own PostgreSQL backend made before
``seikyu.db.postgresql`` stopped making them. Safe to run on any database, any number of times."""

from typing import Any

from django.db import migrations

_LIKE_INDEXES = """
    SELECT format('%I.%I', schemaname, indexname) FROM pg_indexes
    WHERE schemaname = current_schema() AND indexname LIKE '%\\_like'
      AND (indexdef LIKE '%varchar_pattern_ops%' OR indexdef LIKE '%text_pattern_ops%')
"""


def drop_like_indexes(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(_LIKE_INDEXES)
        for (name,) in cursor.fetchall():
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies: list[tuple[str, str]] = []
    operations = [migrations.RunPython(drop_like_indexes, migrations.RunPython.noop)]
