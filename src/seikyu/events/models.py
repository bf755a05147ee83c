from __future__ import annotations

from collections.abc import Collection
from functools import cache
from typing import Any, Self

from django.db import models
from django.db.models.base import ModelState


class BulkRow(models.Model):
    """A model whose rows are read and made by the thousand (events, and every billing object
    in the bill run)."""

    class Meta:
        abstract = True

    @classmethod
    def from_columns(cls, values: Collection[Any], *, db: str | None = None) -> Self:
        """An instance from one value per concrete field, in field order: saved (read from
        ``db``) or, without ``db``, new. This skips ``Model.__init__`` (a ``setattr`` per field
        and two signals nobody listens to for these models), which costs several times as much."""
        new = cls.__new__(cls)
        new.__dict__.update(zip(_attnames(cls), values, strict=True))
        state = new._state = ModelState()
        if db is not None:
            state.adding = False
            state.db = db
        return new

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], *, fetch_mode: Any = None
    ) -> Self:
        if len(values) != len(_attnames(cls)) or db is None:  # deferred fields: Django's way
            return super().from_db(db, field_names, values, fetch_mode=fetch_mode)
        new = cls.from_columns(values, db=db)
        if fetch_mode is not None:
            new._state.fetch_mode = fetch_mode
        return new


@cache
def _attnames(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(f.attname for f in model._meta.concrete_fields)


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
