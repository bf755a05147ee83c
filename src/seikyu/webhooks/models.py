"""Webhook endpoints, one delivery per (event, endpoint), and every attempt made to send it."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from seikyu.billing.models.base import WireObject, list_index
from seikyu.db.fields import JSONField


class WebhookEndpoint(WireObject):
    class Status(models.TextChoices):
        ENABLED = "enabled"
        DISABLED = "disabled"

    url = models.CharField(max_length=2048)
    description = models.CharField(max_length=5000, null=True, blank=True)
    # Event types, or ["*"] for every type.
    enabled_events = JSONField(default=list)
    # The whole ``whsec_…`` string is the HMAC key; shown only in the create response.
    secret = models.CharField(max_length=128)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ENABLED)
    api_version = models.CharField(max_length=40, null=True, blank=True)
    # Failure tracking for automatic disabling; both are reset by any 2xx.
    failing_since = models.DateTimeField(null=True, blank=True)
    deliveries_given_up = models.IntegerField(default=0)
    disabled_reason = models.CharField(max_length=500, null=True, blank=True)

    class Meta:
        verbose_name = "webhook endpoint"
        indexes = [list_index("webhook_endpoint")]


class Delivery(models.Model):
    """One event for one endpoint. ``next_attempt_at`` says when a worker should send it; a worker
    that claims it pushes ``next_attempt_at`` forward by a lease, so a worker that dies mid-send
    leaves it due again once the lease ends. ``None`` means nothing is left to do."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    id = models.CharField(primary_key=True, max_length=64)
    livemode = models.BooleanField()
    created = models.DateTimeField()
    # Cascades run in the database: deleting an endpoint must not load its deliveries into memory.
    # No index of its own: a Meta index starts with it (another would only slow every write).
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.DB_CASCADE, related_name="deliveries", db_index=False
    )
    # No index of its own: a Meta index starts with it (another would only slow every write).
    event = models.ForeignKey("events.Event", on_delete=models.DB_CASCADE, related_name="+", db_index=False)
    event_type = models.CharField(max_length=100)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    resend_requested = models.BooleanField(default=False)
    attempt_count = models.IntegerField(default=0)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.IntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        constraints = [models.UniqueConstraint(fields=["event", "endpoint"], name="delivery_once_per_endpoint")]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(next_attempt_at__isnull=False), name="delivery_due_idx"
            ),
            models.Index(fields=["endpoint", "livemode", "-created", "-id"], name="delivery_list_idx"),
        ]

    def __str__(self) -> str:
        return self.id


class DeliveryAttempt(models.Model):
    # No index of its own: a Meta index starts with it (another would only slow every write).
    delivery = models.ForeignKey(Delivery, on_delete=models.DB_CASCADE, related_name="attempts", db_index=False)
    started_at = models.DateTimeField()
    # The HTTP status, or None when no response came back (``error`` says why).
    status_code = models.IntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, null=True, blank=True)
    latency_ms = models.IntegerField()
    response_excerpt = models.TextField(blank=True, default="")
    resend = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["delivery", "started_at"], name="attempt_delivery_idx")]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.started_at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class FanOutState(models.Model):
    """Where fan-out is in the event log (one row). Events are read in id order after ``cursor``;
    every committed event with an id up to ``safe`` has been fanned out. ``marks`` are
    ``[cursor_then, at_iso, xmax_or_null]`` checkpoints that become ``safe`` once every transaction
    that could still commit an event below them has ended (see the README)."""

    name = models.CharField(primary_key=True, max_length=32)
    cursor = models.CharField(max_length=64, default="")
    safe = models.CharField(max_length=64, default="")
    marks = JSONField(default=list)

    def __str__(self) -> str:
        return f"{self.name}: cursor {self.cursor}, safe up to {self.safe}"
