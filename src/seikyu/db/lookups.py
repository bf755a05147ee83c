"""``field__in=[…]`` as one array parameter on PostgreSQL.

Django writes ``IN (%s, %s, …)`` with a placeholder per value. The bill run reads its batches by
id lists of hundreds, and such a statement differs with every batch size, is parsed for
placeholders by the driver each time (it is too long for the driver's statement cache) and is
planned afresh by the server. ``= ANY(%s)`` with one array is one short statement whatever the
number of ids, so the driver caches it and the server prepares it once.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Field, ForeignObject, lookups
from django.db.models.expressions import ColPairs
from django.db.models.fields.related_lookups import RelatedIn


class ArrayParameter(lookups.In):
    """``IN`` as ``= ANY(%s)`` when the values are a plain list of strings or integers; any other
    form (subquery, composite key, other database) is Django's own."""

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        if connection.vendor != "postgresql" or not self.rhs_is_direct_value() or isinstance(self.lhs, ColPairs):
            return super().as_sql(compiler, connection)
        placeholders, params = self.process_rhs(compiler, connection)  # None dropped, empty refused
        if not all(isinstance(value, str | int) and not isinstance(value, bool) for value in params) or (
            placeholders.count("%s") != len(params)
        ):
            return super().as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, list(params))


class ForeignKeyIn(ArrayParameter, RelatedIn):
    """Foreign keys have a lookup table of their own (``customer_id__in`` is a ``RelatedIn``)."""


def register() -> None:
    Field.register_lookup(ArrayParameter)
    ForeignObject.register_lookup(ForeignKeyIn)
