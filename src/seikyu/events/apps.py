from __future__ import annotations

import logging
from typing import Any

from django.apps import AppConfig
from django.db import DatabaseError, connections, transaction
from django.db.models.signals import post_migrate

logger = logging.getLogger("seikyu.events")


def compress_payloads_with_lz4(using: str = "default", **_: Any) -> None:
    """Event payloads are compressed with lz4 instead of PostgreSQL's default pglz, which costs
    several times the CPU for the same payloads. The setting only applies to rows written from
    now on, so it is safe to repeat after every migration; a server built without lz4 keeps pglz."""
    connection = connections[using]
    if connection.vendor != "postgresql" or "events_event" not in connection.introspection.table_names():
        return
    try:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute("ALTER TABLE events_event ALTER COLUMN data SET COMPRESSION lz4")
    except DatabaseError as error:
        logger.warning("event payloads stay compressed with pglz: %s", error)


class EventsConfig(AppConfig):
    name = "seikyu.events"
    label = "events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(compress_payloads_with_lz4, sender=self)
