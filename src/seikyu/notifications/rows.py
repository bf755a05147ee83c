"""Writing many new rows with one prepared statement.

The bill run queues an email or a notice for every invoice and subscription it touches, so these
inserts skip the ORM's per-row statement building (as ``events.emit_many`` does) and leave out,
in the database, any row whose unique key is taken already.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models


def insert_new(model: type[models.Model], objs: Sequence[models.Model], unique: Sequence[str]) -> None:
    """INSERT ``objs`` (unsaved, database-generated ids left out); a row whose ``unique``
    columns match an existing row is skipped."""
    if not objs:
        return
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.db_returning)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    conflict = ", ".join(quote(name) for name in unique)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) "
            f"ON CONFLICT ({conflict}) DO NOTHING",
            [[f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] for obj in objs],
        )
