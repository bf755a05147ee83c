from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate

# Issued documents are write-once in the database itself, not only in the ORM: an UPDATE from any
# client fails. (Deleting stays possible for the database owner, e.g. to flush a test database;
# the application never deletes.)
_TRIGGERS = {
    "sqlite": [
        """CREATE TRIGGER IF NOT EXISTS documents_document_write_once
        BEFORE UPDATE ON documents_document
        BEGIN SELECT RAISE(ABORT, 'issued documents are write-once'); END""",
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION documents_document_write_once() RETURNS trigger AS $$
        BEGIN RAISE EXCEPTION 'issued documents are write-once (%)', OLD.id; END
        $$ LANGUAGE plpgsql""",
        """CREATE OR REPLACE TRIGGER documents_document_write_once
        BEFORE UPDATE ON documents_document
        FOR EACH ROW EXECUTE FUNCTION documents_document_write_once()""",
    ],
}


def install_write_once_trigger(using: str = "default", **_: Any) -> None:
    connection = connections[using]
    statements = _TRIGGERS.get(connection.vendor, [])
    if not statements or "documents_document" not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


class DocumentsConfig(AppConfig):
    name = "seikyu.documents"
    label = "documents"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(install_write_once_trigger, sender=self)
