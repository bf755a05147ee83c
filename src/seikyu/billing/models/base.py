from __future__ import annotations

from collections.abc import Collection
from functools import cache
from typing import Any, Self

from django.db import models
from django.db.models.base import ModelState


class WireObject(models.Model):
    """Common columns of every object the API exposes.

    ``id`` is the public Stripe-style id and the primary key, so foreign keys hold public ids and
    rendering an object never needs a join just to print a related id. Lists are ordered by
    ``(created, id)`` descending, which gives stable cursors even when many objects share a second.
    """

    id = models.CharField(primary_key=True, max_length=64)
    livemode = models.BooleanField(default=False)
    created = models.DateTimeField()
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.id

    @classmethod
    def from_columns(cls, values: Collection[Any], *, db: str | None = None) -> Self:
        """An instance from one value per concrete field, in field order: saved (read from
        ``db``) or, without ``db``, new. The bill run reads and makes these by the thousand;
        this skips ``Model.__init__`` (a ``setattr`` per field and two signals nobody listens
        to for these models), which costs several times as much."""
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


def list_index(model_name: str) -> models.Index:
    return models.Index(fields=["livemode", "-created", "-id"], name=f"{model_name}_list_idx")
