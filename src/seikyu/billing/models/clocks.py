from __future__ import annotations

from django.db import models

from .base import WireObject, list_index


class TestClock(WireObject):
    """A frozen time for the objects attached to it (test mode only)."""

    class Status(models.TextChoices):
        READY = "ready"
        ADVANCING = "advancing"
        INTERNAL_FAILURE = "internal_failure"

    name = models.CharField(max_length=300, null=True, blank=True)
    frozen_time = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.READY)
    # Where an advance is headed while status is ``advancing``.
    advance_target = models.DateTimeField(null=True, blank=True)
    deletes_after = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [list_index("testclock")]
