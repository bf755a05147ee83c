"""Model fields shared by every package."""

from __future__ import annotations

from typing import Any

import orjson
from django.db import models


class JSONField(models.JSONField):
    """Django's ``JSONField``, decoded with orjson when read.

    The bill run reads tens of thousands of JSON columns a second (metadata, addresses, issuer
    snapshots, tax breakdowns); the standard library's decoder took a tenth of its reading time.
    Documents orjson refuses (``NaN``, integers beyond 64 bits) fall back to Django's own
    decoding. Migrations record it as Django's field: the column is the same (subclasses keep
    their own path)."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if isinstance(value, str) and self.decoder is None:
            try:
                return orjson.loads(value)
            except orjson.JSONDecodeError:
                pass
        return super().from_db_value(value, expression, connection)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField" if type(self) is JSONField else path, args, kwargs
