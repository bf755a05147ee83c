from __future__ import annotations

from typing import Any

from django.db import models

from seikyu.db.rows import BulkRow


class PayloadField(models.JSONField):
    """JSON stored as written. On PostgreSQL the column is ``json``, not ``jsonb``: nothing ever
    queries inside an event payload, and ``jsonb`` would parse and rebuild every document on
    insert — the largest single cost of the bill run, which writes thousands of invoice-sized
    payloads per batch. ``json`` also keeps the object's own key order."""

    def db_type(self, connection: Any) -> str | None:
        return "json" if connection.vendor == "postgresql" else super().db_type(connection)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        # The driver decodes ``json`` columns itself (Django has it hand over ``jsonb`` as text).
        if value is None or not isinstance(value, str):
            return value
        return super().from_db_value(value, expression, connection)


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
