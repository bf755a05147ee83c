"""Reading and writing many rows at once, for the bill run.

Django's ``bulk_create`` prepares every value through its field and, on PostgreSQL, packs each
column into an array literal (escaping every JSON document character by character); its
``bulk_update`` writes ``CASE WHEN id = … THEN …`` per row and field. Together they cost seconds
per bill-run batch. Here a batch travels as the database reads it fastest:

- PostgreSQL, new rows: binary ``COPY`` (``copy_rows``), each value in its column's binary form,
  so the server parses no text, JSON or placeholders.
- PostgreSQL, updates and inserts that skip taken keys (``COPY`` has no ``ON CONFLICT``): one
  JSON document holding every row, expanded by ``json_populate_recordset`` into the table's own
  row type. One parameter and a constant statement whatever the batch size, and the whole batch
  is serialised by one ``orjson.dumps``.
- SQLite: one prepared statement run for every row (``executemany``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from decimal import Decimal
from functools import cache
from operator import attrgetter, itemgetter
from typing import Any, Self, cast

import orjson
import psycopg
from django.db import DataError, connection, models
from django.db.models import Field, Model
from django.db.models.base import ModelState
from psycopg.types.json import Json, set_json_dumps

Adapter = Callable[[Any], Any]


def _target(field: Field[Any, Any]) -> Field[Any, Any]:
    """The field whose values a column holds (a foreign key holds its target's)."""
    return field.target_field if field.is_relation else field  # type: ignore[attr-defined]


def _json_default(value: Any) -> str:
    """What orjson does not write itself, as JSON text PostgreSQL parses into the column: decimals,
    and subclasses of ``datetime``/``date`` (orjson takes only the exact types)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to PostgreSQL as JSON")


def _sqlite_adapter(field: Field[Any, Any]) -> Adapter | None:
    """How SQLite is given a value of ``field``; None when the value goes as it is."""
    if isinstance(field, models.JSONField):
        return lambda value: None if value is None else orjson.dumps(value).decode()
    target = _target(field)
    if isinstance(target, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(target, models.CharField | models.TextField | models.BooleanField | models.IntegerField):
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def _postgres_rows(objs: Sequence[Model], fields: Sequence[Field[Any, Any]]) -> Any:
    """The rows as one JSON array of objects keyed by column (JSON columns nested as they are;
    timestamps, dates and UUIDs in the ISO forms orjson writes and PostgreSQL reads), as a ``json``
    parameter (``Json``) that goes in the UTF-8 orjson writes (no decoding here to encode again in
    psycopg)."""
    columns = [str(f.column) for f in fields]
    values = _values_of(fields)
    return Json([dict(zip(columns, values(obj), strict=True)) for obj in objs], dumps=_dumps_with_default)


def _dumps_with_default(value: Any) -> bytes:
    return orjson.dumps(value, default=_json_default)


def _sqlite_rows(objs: Sequence[Model], fields: Sequence[Field[Any, Any]]) -> list[list[Any]]:
    adapters = [(field.attname, _sqlite_adapter(field)) for field in fields]
    return [
        [getattr(obj, name) if adapt is None else adapt(getattr(obj, name)) for name, adapt in adapters] for obj in objs
    ]


class _Layout:
    """What making rows of one model needs, worked out once per model."""

    def __init__(self, model: type[models.Model]) -> None:
        fields = tuple(model._meta.concrete_fields)
        self.attnames = tuple(f.attname for f in fields)
        self.position = {name: n for n, name in enumerate(self.attnames)}
        # A callable default makes a fresh value per row (``dict`` for JSON); any other default is
        # one constant Django hands to every row too.
        fresh = [n for n, f in enumerate(fields) if f.has_default() and callable(f.default)]
        self.fresh_defaults = [(n, fields[n].get_default) for n in fresh]
        self.defaults = [None if n in fresh else f.get_default() for n, f in enumerate(fields)]
        # ``{"id": values[0], "livemode": values[1], …}`` compiled for this model (its own field
        # names, quoted by repr): a dict display builds the instance's attributes in about half the
        # time ``dict(zip(names, values))`` takes.
        display = ", ".join(f"{name!r}: values[{n}]" for n, name in enumerate(self.attnames))
        namespace: dict[str, Any] = {}
        exec(f"def attributes(values):\n    return {{{display}}}\n", namespace)
        self.attributes: Callable[[Sequence[Any]], dict[str, Any]] = namespace["attributes"]


@cache
def _layout(model: type[models.Model]) -> _Layout:
    return _Layout(model)


class BulkRow(models.Model):
    """A model whose rows are read and made by the thousand (events, and every billing object
    in the bill run)."""

    class Meta:
        abstract = True

    @classmethod
    def from_columns(cls, values: Sequence[Any], *, db: str | None = None) -> Self:
        """An instance from one value per concrete field, in field order: saved (read from
        ``db``) or, without ``db``, new. This skips ``Model.__init__`` (a ``setattr`` per field
        and two signals nobody listens to for these models), which costs several times as much."""
        layout = _layout(cls)
        if len(values) != len(layout.attnames):
            raise ValueError(f"{cls.__name__} has {len(layout.attnames)} columns, got {len(values)} values")
        new = cls.__new__(cls)
        new.__dict__ = attributes = layout.attributes(values)
        state = attributes["_state"] = ModelState()
        if db is not None:
            state.adding = False
            state.db = db
        return new

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], *, fetch_mode: Any = None
    ) -> Self:
        if len(values) != len(_layout(cls).attnames) or db is None:  # deferred fields: Django's way
            return super().from_db(db, field_names, values, fetch_mode=fetch_mode)
        new = cls.from_columns(cast(Sequence[Any], values), db=db)  # Django passes a row's tuple slice
        if fetch_mode is not None:
            new._state.fetch_mode = fetch_mode
        return new


def new_row[M: BulkRow](model: type[M], **values: Any) -> M:
    """A new, unsaved ``model`` instance for ``bulk_insert``, from attribute names (``customer_id``,
    not ``customer``); unnamed fields take their defaults. Built with ``from_columns``, which costs
    a fraction of Django's keyword constructor for the wide rows the bill run makes."""
    layout = _layout(model)
    args = layout.defaults.copy()
    for n, default in layout.fresh_defaults:
        if layout.attnames[n] not in values:
            args[n] = default()
    position = layout.position
    for name, value in values.items():
        if name not in position:
            unknown = sorted(set(values) - set(position))
            raise TypeError(f"{model.__name__} has no field {', '.join(unknown)}")
        args[position[name]] = value
    return model.from_columns(args)


def _values_of(fields: Sequence[Field[Any, Any]]) -> Callable[[Model], tuple[Any, ...]]:
    """A function giving an object's values of ``fields``, in order, as a tuple.

    Read from the instance's ``__dict__``, where a loaded or new row keeps every field's value:
    a foreign key's id attribute (``customer_id``) is a data descriptor, so ``getattr`` runs a
    Python ``__get__`` per id, most of what reading a bill-run row costs. A deferred field, not in
    ``__dict__``, is read (and loaded) through ``getattr`` as usual."""
    names = [f.attname for f in fields]
    if len(names) == 1:  # the getters of one name give the value, not a 1-tuple
        (name,) = names
        return lambda obj: (getattr(obj, name),)
    from_dict = itemgetter(*names)
    through_attributes = attrgetter(*names)

    def values(obj: Model) -> tuple[Any, ...]:
        try:
            return cast(tuple[Any, ...], from_dict(obj.__dict__))
        except KeyError:
            return cast(tuple[Any, ...], through_attributes(obj))

    return values


# Integer columns a binary value would silently wrap around in (psycopg writes the low bytes).
_INTEGER_BOUNDS = {"smallint": 2**15, "integer": 2**31}


def _refusing_what_copy_would_mangle(
    rows: Iterable[Sequence[Any]], fields: Sequence[Field[Any, Any]], types: Sequence[str]
) -> Iterator[Sequence[Any]]:
    """The rows, after checking the values binary COPY would store wrongly instead of refusing, as
    an INSERT refuses them: an integer out of its column's range (wrapped), anything but a bool in
    a boolean column (stored by truth: "false" would be true)."""
    bounded = [(n, _INTEGER_BOUNDS[t]) for n, t in enumerate(types) if t in _INTEGER_BOUNDS]
    flags = [n for n, t in enumerate(types) if t == "boolean"]
    for row in rows:
        for n, bound in bounded:
            if row[n] is not None and not -bound <= row[n] < bound:
                raise DataError(f"{row[n]!r} is out of range for {fields[n].column} ({types[n]})")
        for n in flags:
            if row[n] is not None and not isinstance(row[n], bool):
                raise DataError(f"{row[n]!r} is not a boolean for {fields[n].column}")
        yield row


def copy_rows(
    cursor: psycopg.Cursor[Any], table: str, fields: Sequence[Field[Any, Any]], rows: Iterable[Sequence[Any]]
) -> None:
    """Load ``rows`` (one value per field, as the model holds it) into ``table`` with PostgreSQL's
    binary COPY: no statement per row, and every value goes in its column's own binary form, so
    the server neither parses JSON documents nor unescapes text. JSON values are written by orjson.

    Values go as they are, without Django's conversions (a naive datetime is refused). Database
    errors come as Django's (``IntegrityError``, …); the statement does not appear in
    ``connection.queries``.

    A field may name the type its values are sent as (``copy_type``), when their binary form is
    the column's: text already encoded goes as ``bytea``, whose binary form is the bytes as they
    are, and the server still checks them as the column's text."""
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    types = [getattr(f, "copy_type", None) or str(f.db_type(connection)).partition("(")[0] for f in fields]
    set_json_dumps(orjson.dumps, cursor)
    with connection.wrap_database_errors, cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        for row in _refusing_what_copy_would_mangle(rows, fields, types):
            copy.write_row(row)


def bulk_insert[M: Model](objs: Sequence[M], *, skip_existing: Sequence[str] = ()) -> None:
    """Insert new ``objs`` (all of one model, every field already set; a database-generated
    primary key is left to the database). With ``skip_existing`` (the columns of a unique
    constraint), a row whose key is taken already is left out instead of failing the batch."""
    if not objs:
        return
    meta = type(objs[0])._meta
    fields = [f for f in meta.concrete_fields if not (f.primary_key and f.db_returning)]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(str(field.column)) for field in fields)
    on_conflict = f" ON CONFLICT ({', '.join(map(quote, skip_existing))}) DO NOTHING" if skip_existing else ""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not skip_existing:
            copy_rows(cursor.cursor, table, fields, map(_values_of(fields), objs))
        elif connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM json_populate_recordset(NULL::{table}, %s)"
                + on_conflict,
                [_postgres_rows(objs, fields)],
            )
        else:
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})" + on_conflict,
                _sqlite_rows(objs, fields),
            )
    alias = connection.alias
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias


def bulk_save[M: Model](objs: Sequence[M], fields: Sequence[str]) -> None:
    """Write ``fields`` of ``objs`` (all of one model, already in the database) in few queries."""
    if not objs:
        return
    meta = type(objs[0])._meta
    assert meta.pk is not None
    by_name = {field.name: field for field in meta.concrete_fields}
    changed: list[Field[Any, Any]] = [by_name[name] for name in fields]
    key = by_name[meta.pk.name]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk = quote(str(key.column))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            assignments = ", ".join(f"{quote(str(f.column))} = v.{quote(str(f.column))}" for f in changed)
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM json_populate_recordset(NULL::{table}, %s) AS v "
                f"WHERE {table}.{pk} = v.{pk}",
                [_postgres_rows(objs, [key, *changed])],
            )
        else:
            assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in changed)
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE {pk} = %s",
                [[*values, pk_value] for pk_value, *values in _sqlite_rows(objs, [key, *changed])],
            )
