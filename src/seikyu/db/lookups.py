"""``field__in=[…]`` as one parameter on PostgreSQL.

Django writes ``IN (%s, %s, …)`` with a placeholder per value. The bill run reads its batches by
id lists of hundreds, and such a statement differs with every batch size, is parsed for
placeholders by the driver each time (it is too long for the driver's statement cache) and is
planned afresh by the server. ``= ANY(%s)`` with one array is one short statement whatever the
number of ids, so the driver caches it and the server prepares it once. Strings go as one
comma-joined text (``string_to_array``) unless one holds a comma.
"""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, Field, ForeignObject, TextField, lookups
from django.db.models.expressions import ColPairs
from django.db.models.fields.related_lookups import RelatedIn


def _is_text_column(expression: Any) -> bool:
    field = getattr(expression, "output_field", None)
    if getattr(field, "is_relation", False):
        field = field.target_field  # type: ignore[union-attr]
    return isinstance(field, CharField | TextField)


class ArrayParameter(lookups.In):
    """``IN`` as ``= ANY(…)`` when the values are a plain list of strings or integers; any other
    form (subquery, composite key, other database) is Django's own."""

    def _plain_strings(self) -> bool:
        """Strings for a text column (ids, keys): Django's per-value preparation returns each as it
        is, so it is skipped, and the list can travel as one string."""
        values = self.rhs
        return (
            isinstance(values, list | tuple | set | frozenset)
            and bool(values)
            and set(map(type, values)) == {str}
            and not isinstance(self.lhs, ColPairs)
            and _is_text_column(self.lhs)
        )

    def get_prep_lookup(self) -> Any:
        # Decided once, when the lookup is made; ``as_sql`` reads it.
        self.plain_strings = self._plain_strings()
        if self.plain_strings:
            return list(self.rhs)
        return super().get_prep_lookup()

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        if connection.vendor != "postgresql" or not self.rhs_is_direct_value() or isinstance(self.lhs, ColPairs):
            return super().as_sql(compiler, connection)
        if self.plain_strings:
            joined = ",".join(self.rhs)
            # No value holds a comma, and not [""]: string_to_array('', ',') is an empty array.
            if joined and joined.count(",") == len(self.rhs) - 1:
                # One text parameter: the driver dumps an array of hundreds of strings value by
                # value in Python, a few percent of the bill run.
                lhs, lhs_params = self.process_lhs(compiler, connection)
                return f"{lhs} = ANY(string_to_array(%s, ','))", (*lhs_params, joined)
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
