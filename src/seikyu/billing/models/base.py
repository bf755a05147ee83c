from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.fields.related_descriptors import ForwardManyToOneDescriptor

from seikyu.db.fields import JSONField
from seikyu.events.models import BulkRow


class WireObject(BulkRow):
    """Common columns of every object the API exposes.

    ``id`` is the public Stripe-style id and the primary key (``(livemode, id)`` for
    ``ModeScopedId``), so foreign keys hold public ids and rendering an object never needs a join
    just to print a related id. Lists are ordered by ``(created, id)`` descending, which gives
    stable cursors even when many objects share a second.
    """

    id = models.CharField(primary_key=True, max_length=64)
    livemode = models.BooleanField(default=False)
    created = models.DateTimeField()
    metadata = JSONField(default=dict, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.id


class ModeScopedId(WireObject):
    """An object whose id the caller may choose (``prod_standard``, ``SPRING25``). Test and live
    mode are separate namespaces, as in Stripe: the same id can name one object in each, so the
    key is ``(livemode, id)`` and what refers to it goes through ``mode_scoped``."""

    pk = models.CompositePrimaryKey("livemode", "id")
    id = models.CharField(max_length=64)

    class Meta:
        abstract = True


class _SameModeAccessor(ForwardManyToOneDescriptor):
    """``price.product = product``: assigning copies the object's key, ``livemode`` included, into
    the referring row, so an object of the other mode would silently move the row there. Refused."""

    def __set__(self, instance: Any, value: Any) -> None:
        livemode = instance.__dict__.get("livemode")
        if value is not None and livemode is not None and value.livemode != livemode:
            raise ValueError(
                f"{type(instance).__name__}.{self.field.name} must be an object of the same mode "
                f"(livemode={livemode}), not {value!r} (livemode={value.livemode})"
            )
        super().__set__(instance, value)


class ModeScopedReference(models.ForeignObject):
    forward_related_accessor_class = _SameModeAccessor

    def deconstruct(self) -> Any:
        # Recorded as Django's field: the columns and constraints are the same.
        name, _, args, kwargs = super().deconstruct()
        return name, "django.db.models.ForeignObject", args, kwargs


def mode_scoped(to: str, *, related_name: str) -> models.ForeignObject[Any, Any]:
    """A reference to a ``ModeScopedId`` object of the referring row's own mode, held by the row's
    ``livemode`` and a ``<name>_id`` column of its own (the public id, printed as it is). Assign
    the object (``price.product = product``), not the id column: the column does not forget an
    object already loaded through the reference."""
    name = to.lower()
    return ModeScopedReference(
        to,
        on_delete=models.PROTECT,
        from_fields=["livemode", f"{name}_id"],
        to_fields=["livemode", "id"],
        related_name=related_name,
    )


def list_index(model_name: str) -> models.Index:
    return models.Index(fields=["livemode", "-created", "-id"], name=f"{model_name}_list_idx")
