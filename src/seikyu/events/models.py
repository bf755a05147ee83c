from __future__ import annotations

from django.db import models


class Event(models.Model):
    """One change, in Stripe's event shape. Written in the same transaction as the change
    (transactional outbox); deliveries read it after commit."""

    id = models.CharField(primary_key=True, max_length=64)
    livemode = models.BooleanField()
    type = models.CharField(max_length=100)
    created = models.DateTimeField()
    api_version = models.CharField(max_length=40)
    # The object's id, so an object's history can be read without scanning payloads.
    object_id = models.CharField(max_length=64, db_index=True)
    data = models.JSONField()
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
