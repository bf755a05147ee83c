from __future__ import annotations

from django.db import models


class ApiKey(models.Model):
    """A secret key. Only its SHA-256 is stored; the key itself is shown once, at creation."""

    id = models.CharField(primary_key=True, max_length=64)  # "key_…", for listing and revoking
    livemode = models.BooleanField()
    secret_hash = models.CharField(max_length=64, unique=True)
    # Enough of the key to recognise it in a list: "sk_test_…abcd".
    redacted = models.CharField(max_length=40)
    name = models.CharField(max_length=100, blank=True, default="")
    created = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.redacted


class IdempotencyRecord(models.Model):
    """The first response to a POST with an ``Idempotency-Key``, replayed for retries (24 h)."""

    # No index of its own: a Meta index starts with it (another would only slow every write).
    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, db_index=False)
    key = models.CharField(max_length=255)
    # SHA-256 of method, path and the decoded parameters: a retry with other params is an error.
    request_fingerprint = models.CharField(max_length=64)
    # Null while the first request is in flight (a concurrent retry gets 409).
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    created = models.DateTimeField()
    # The request that holds the key: a random token, replaced when a retry takes over the key
    # of a request that died before finishing (``idempotency.begin``).
    claim = models.CharField(max_length=32, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_key", "key"], name="idempotency_unique_key")]
        indexes = [models.Index(fields=["created"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return self.key
