"""``/search`` endpoints: Stripe's search query language, mapped to Django ``Q`` objects.

Supported: ``field:'value'`` (exact; case-insensitive for text), ``field~'sub'`` (substring, at
least 3 characters), ``field>10`` / ``<`` / ``>=`` / ``<=`` on numbers and timestamps,
``metadata['key']:'value'``, ``field:null``, a leading ``-`` to negate a clause, and clauses joined
by ``AND`` or by ``OR`` (not both). Each resource declares which fields are searchable and how;
anything else is a 400 with ``param="query"``.

Results are newest first; ``page`` is an opaque cursor made from the last result's
``(created, id)``, so paging stays exact while objects are being added.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from django.db.models import Model, Q, QuerySet

from seikyu.core.clock import from_unix
from seikyu.core.errors import InvalidRequest

from .params import SearchParams
from .query import render_rows
from .routing import ApiRequest

MAX_CLAUSES = 10
_SECOND = dt.timedelta(seconds=1)


@dataclass(frozen=True)
class Field:
    """A searchable field: its model column and how values compare."""

    column: str
    kind: Literal["text", "exact", "number", "timestamp", "boolean"] = "text"


Fields = Mapping[str, Field]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<neg>-)?
        (?P<field>[a-z_][a-z0-9_.]*)(?:\[(?P<q1>['"])(?P<key>.*?)(?P=q1)\])?
        \s*(?P<op>>=|<=|:|~|>|<)\s*
        (?:(?P<q2>['"])(?P<string>(?:\\.|(?!(?P=q2)).)*)(?P=q2)|(?P<bare>[^\s'"]+))
      | (?P<join>AND|OR)(?=\s)
    )""",
    re.VERBOSE | re.IGNORECASE,
)


@dataclass(frozen=True)
class _Clause:
    negate: bool
    field: str
    key: str | None
    op: str
    value: str
    quoted: bool


def parse(query: str) -> tuple[list[_Clause], str]:
    """Clauses and their joiner (``AND``/``OR``)."""
    clauses: list[_Clause] = []
    joins: set[str] = set()
    position, expect_clause = 0, True
    text = query.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or (match.group("join") is not None) == expect_clause:
            raise _invalid(f"unexpected input at position {position}: {text[position : position + 20]!r}")
        position = match.end()
        if match.group("join"):
            joins.add(match.group("join").upper())
            expect_clause = True
            continue
        quoted = match.group("q2") is not None
        raw = match.group("string") if quoted else match.group("bare")
        clauses.append(
            _Clause(
                negate=bool(match.group("neg")),
                field=match.group("field").lower(),
                key=match.group("key"),
                op=match.group("op"),
                value=re.sub(r"\\(.)", r"\1", raw) if quoted else raw,
                quoted=quoted,
            )
        )
        expect_clause = False
    if not clauses or expect_clause:
        raise _invalid("a query is one or more clauses such as email:'jenny@example.com'")
    if len(joins) > 1:
        raise _invalid("AND and OR cannot be combined in one query")
    if len(clauses) > MAX_CLAUSES:
        raise _invalid(f"at most {MAX_CLAUSES} clauses are allowed")
    return clauses, joins.pop() if joins else "AND"


def to_q(query: str, fields: Fields) -> Q:
    clauses, join = parse(query)
    combined = Q()
    for clause in clauses:
        q = _clause_q(clause, fields)
        q = ~q if clause.negate else q
        combined = (combined | q) if join == "OR" and combined else (combined & q)
    return combined


def _clause_q(clause: _Clause, fields: Fields) -> Q:
    if clause.field == "metadata":
        if clause.key is None:
            raise _invalid("metadata is searched by key: metadata['key']:'value'")
        if clause.op not in (":", "~"):
            raise _invalid(f"metadata supports only ':' and '~', not {clause.op!r}")
        lookup = f"metadata__{clause.key}"
        if clause.value == "null" and not clause.quoted:
            return ~Q(metadata__has_key=clause.key)
        return _match(lookup, clause, "exact")
    field = fields.get(clause.field)
    if field is None or clause.key is not None:
        names = ", ".join(sorted([*fields, "metadata"]))
        raise _invalid(f"{clause.field!r} is not a searchable field here (searchable: {names})")
    if clause.value == "null" and not clause.quoted and clause.op == ":":
        return Q(**{f"{field.column}__isnull": True})
    if field.kind in ("number", "timestamp"):
        return _compare(field, clause)
    if clause.op not in (":", "~") or (field.kind != "text" and clause.op == "~"):
        raise _invalid(f"{clause.field} does not support {clause.op!r}")
    if field.kind == "boolean":
        if clause.value.lower() not in ("true", "false"):
            raise _invalid(f"{clause.field} is 'true' or 'false'")
        return Q(**{field.column: clause.value.lower() == "true"})
    return _match(field.column, clause, "iexact" if field.kind == "text" else "exact")


def _match(lookup: str, clause: _Clause, exact: str) -> Q:
    if clause.op == "~":
        if len(clause.value) < 3:
            raise _invalid("a substring search (~) needs at least 3 characters")
        return Q(**{f"{lookup}__icontains": clause.value})
    return Q(**{f"{lookup}__{exact}": clause.value})


def _compare(field: Field, clause: _Clause) -> Q:
    if clause.op == "~":
        raise _invalid(f"{clause.field} does not support '~'")
    try:
        number = int(clause.value)
    except ValueError:
        raise _invalid(f"{clause.field} compares with a whole number, not {clause.value!r}") from None
    column = field.column
    if field.kind == "timestamp":
        at = from_unix(number)
        assert at is not None
        bounds = {":": Q(**{f"{column}__gte": at, f"{column}__lt": at + _SECOND})}
        bounds |= {
            ">": Q(**{f"{column}__gte": at + _SECOND}),
            ">=": Q(**{f"{column}__gte": at}),
            "<": Q(**{f"{column}__lt": at}),
            "<=": Q(**{f"{column}__lt": at + _SECOND}),
        }
        return bounds[clause.op]
    lookups = {":": "exact", ">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}
    return Q(**{f"{column}__{lookups[clause.op]}": number})


def _invalid(reason: str) -> InvalidRequest:
    return InvalidRequest(f"Invalid search query: {reason}.", param="query")


def _encode_page(created: dt.datetime, object_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created.isoformat()}|{object_id}".encode()).decode()


def _decode_page(token: str) -> tuple[dt.datetime, str]:
    try:
        created, _, object_id = base64.urlsafe_b64decode(token.encode()).decode().partition("|")
        return dt.datetime.fromisoformat(created), object_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidRequest(f"Invalid page: {token}", param="page") from None


def search[M: Model](
    req: ApiRequest,
    queryset: QuerySet[M],
    params: SearchParams,
    fields: Fields,
    render: Callable[[M], dict[str, Any]] | None = None,
    *,
    render_many: Callable[[list[M]], list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """One page of search results as a ``search_result`` object (``render``/``render_many`` as
    for ``query.paginate``)."""
    qs = queryset.filter(livemode=req.livemode).filter(to_q(params.query, fields))
    total = qs.count() if "total_count" in params.expand else None
    if params.page:
        created, last_id = _decode_page(params.page)
        qs = qs.filter(Q(created__lt=created) | Q(created=created, id__lt=last_id))
    page = list(qs.order_by("-created", "-id")[: params.limit + 1])
    has_more = len(page) > params.limit
    rows = page[: params.limit]
    result: dict[str, Any] = {
        "object": "search_result",
        "data": render_rows(rows, render, render_many),
        "has_more": has_more,
        "next_page": _encode_page(rows[-1].created, rows[-1].id) if has_more else None,  # type: ignore[attr-defined]
        "url": req.path,
    }
    if total is not None:
        result["total_count"] = total
    return result
