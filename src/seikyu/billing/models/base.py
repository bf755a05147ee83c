from __future__ import annotations

from django.db import models

from seikyu.db.fields import JSONField
from seikyu.events.models import BulkRow


class WireObject(BulkRow):
    """Common columns of every object the API exposes.

    ``id`` is the public Stripe-style id and the primary key, so foreign keys hold public ids and
    rendering an object never needs a join just to print a related id. Lists are ordered by
    ``(created, id)`` descending, which gives stable cursors even when many objects share a second.
    """

    id = models.CharField(primary_key=True, max_length=64)
    livemode = models.BooleanField(default=False)
    created = models.DateTimeField()
    metadata = JSONField(default=dict, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.id


def list_index(model_name: str) -> models.Index:
    return models.Index(fields=["livemode", "-created", "-id"], name=f"{model_name}_list_idx")
