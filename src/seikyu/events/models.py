from __future__ import annotations

from typing import Any

from django.db import models

from seikyu.db.fields import JSONField
from seikyu.db.rows import BulkRow


class PayloadField(JSONField):
    """JSON stored as written, as text. On PostgreSQL the column is ``text``, not ``jsonb`` or
    ``json``: nothing ever queries inside an event payload, ``jsonb`` would parse and rebuild
    every document on insert (the largest single cost of the bill run, which writes thousands of
    invoice-sized payloads per batch) and ``json`` would still parse each one to check it, a fifth
    of the cost of loading the log. Payloads are made by ``orjson.dumps``, so they are valid JSON
    by construction. Text also keeps the object's own key order. Ad-hoc SQL casts it:
    ``data::json -> 'object' ->> 'status'``.

    Payloads are written to PostgreSQL as the UTF-8 bytes orjson makes (``copy_type``): decoding
    them here for psycopg to encode them again cost a twentieth of the bill run's Python time."""

    copy_type = "bytea"

    def db_type(self, connection: Any) -> str | None:
        return "text" if connection.vendor == "postgresql" else super().db_type(connection)


class Event(BulkRow):
    """One change, in Stripe's event shape. Written in the same transaction as the change
    (transactional outbox); deliveries read it after commit."""

    id = models.CharField(primary_key=True, max_length=64)
    livemode = models.BooleanField()
    type = models.CharField(max_length=100)
    created = models.DateTimeField()
    api_version = models.CharField(max_length=40)
    # The object's id, so an object's history can be read without scanning payloads.
    object_id = models.CharField(max_length=64, db_index=True)
    data = PayloadField()
    request_id = models.CharField(max_length=64, null=True, blank=True)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    pending_webhooks = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["livemode", "-created", "-id"], name="event_list_idx"),
            models.Index(fields=["livemode", "type", "-created"], name="event_type_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.type}"
