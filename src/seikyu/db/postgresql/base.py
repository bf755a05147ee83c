import datetime as dt

import psycopg
from django.db.backends.postgresql import base
from psycopg.pq import Format

from .schema import DatabaseSchemaEditor

# psycopg's own (compiled) reader of ``timestamptz`` text.
_TIMESTAMPTZ_OID = psycopg.postgres.types["timestamptz"].oid
_NATIVE_TIMESTAMPTZ_LOADER = psycopg.adapters.get_loader(_TIMESTAMPTZ_OID, Format.TEXT)


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor

    def create_cursor(self, name: str | None = None) -> psycopg.Cursor:
        cursor = super().create_cursor(name)
        if self.timezone is dt.UTC:
            # Django reads timestamps through a Python loader that re-labels each value with the
            # connection's zone (a Python call per value: a few percent of the bill run). In UTC
            # the session's TimeZone is UTC (Django sets it), and psycopg's own loader already
            # returns values in ``datetime.UTC``: use it as it is.
            cursor.adapters.register_loader(_TIMESTAMPTZ_OID, _NATIVE_TIMESTAMPTZ_LOADER)
        return cursor
