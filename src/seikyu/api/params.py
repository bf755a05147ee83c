"""Request parameters: Stripe's nested form encoding in, validated Pydantic models out.

The wire sends flat pairs (``items[0][price]=price_1``, ``expand[]=customer``, ``metadata[k]=v``);
``decode`` turns them into nested dicts and lists, and an endpoint's ``Params`` model validates
them. Validation failures become Stripe error objects whose ``param`` is the wire path of the
offending value (``items[0][quantity]``), so clients can point at the exact field.

An empty string means "unset": it decodes to ``None``. A model field typed ``X | None`` then
accepts it as "clear this field", a required field rejects it with ``parameter_invalid_empty``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from seikyu.core.errors import InvalidRequest, input_param, param_name

# Free-form maps whose keys may look like list indexes (``metadata[0]=x`` is a key, not an item).
_MAP_KEYS = frozenset({"metadata"})


class Nested(BaseModel):
    """A nested hash parameter (``invoice_settings[footer]``): unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class Params(Nested):
    """Base of every endpoint's parameters. ``expand`` is accepted everywhere."""

    expand: list[str] = Field(default_factory=list)

    def given(self) -> dict[str, Any]:
        """The parameters the caller actually sent (``None`` = "unset this"), without ``expand``.

        Services take this plain dict, so they do not depend on the API's models.
        """
        return self.model_dump(exclude_unset=True, exclude={"expand"})


class RangeFilter(Nested):
    gt: int | None = None
    gte: int | None = None
    lt: int | None = None
    lte: int | None = None


class ListParams(Params):
    """Cursor pagination shared by every list endpoint (see ``query.paginate``)."""

    limit: Annotated[int, Field(ge=1, le=100)] = 10
    starting_after: str | None = None
    ending_before: str | None = None
    created: int | RangeFilter | None = None


class SearchParams(Params):
    """Shared by every ``/search`` endpoint (see ``search.search``)."""

    query: str
    limit: Annotated[int, Field(ge=1, le=100)] = 10
    page: str | None = None


# Metadata values are strings; ``None`` (sent as ``metadata[k]=``) removes the key. Limits are
# checked where the update is merged into the stored map (``merge_metadata``).
Metadata = dict[str, str | None]


# --------------------------------------------------------------------------- decoding


def _split_key(key: str) -> list[str]:
    """``a[b][0][]`` -> ``["a", "b", "0", ""]``; a malformed key stays one (unknown) name."""
    head, sep, rest = key.partition("[")
    if not sep or not head or not rest.endswith("]"):
        return [key]
    parts = [head]
    for chunk in rest[:-1].split("]["):
        if "[" in chunk or "]" in chunk:
            return [key]
        parts.append(chunk)
    return parts


class _Seq(dict[int, Any]):
    """A list under construction (``a[]`` appends, ``a[3]`` sets index 3)."""


def _insert(node: dict[Any, Any], parts: list[str], value: str | None, full: list[str]) -> None:
    head, rest = parts[0], parts[1:]
    key: Any = head
    if isinstance(node, _Seq):
        if head == "":
            # ``items[][price]=a&items[][quantity]=1``: a repeated leaf key starts a new item.
            last = node.get(len(node) - 1)
            reuse = rest and isinstance(last, dict) and rest[0] not in last and not isinstance(last, _Seq)
            key = len(node) - 1 if reuse else len(node)
        elif head.isdigit():
            key = int(head)
        else:
            raise InvalidRequest(f"Invalid array index in {param_name(full)}.", param=param_name(full))
    if not rest:
        if isinstance(node.get(key), dict):
            raise InvalidRequest(f"Invalid value for {param_name(full)}: expected a hash.", param=param_name(full))
        node[key] = value
        return
    child = node.get(key)
    if child is None:
        is_list = (rest[0] == "" or rest[0].isdigit()) and head not in _MAP_KEYS
        child = _Seq() if is_list else {}
        node[key] = child
    elif not isinstance(child, dict):
        raise InvalidRequest(
            f"Invalid value for {param_name(full[: len(full) - len(rest)])}: cannot be both a value and a hash.",
            param=param_name(full[: len(full) - len(rest)]),
        )
    _insert(child, rest, value, full)


def _finish(value: Any) -> Any:
    if isinstance(value, _Seq):
        return [_finish(value[i]) for i in sorted(value)]
    if isinstance(value, dict):
        return {k: _finish(v) for k, v in value.items()}
    return value


def decode(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Flat form pairs -> nested parameters. Empty strings become ``None`` ("unset")."""
    root: dict[Any, Any] = {}
    for raw_key, raw_value in pairs:
        parts = _split_key(raw_key)
        _insert(root, parts, raw_value if raw_value != "" else None, parts)
    return _finish(root)


# --------------------------------------------------------------------------- validation errors


_RANK = {"extra_forbidden": 0, "missing": 1}

_TYPE_MESSAGES = {
    "int_parsing": ("Invalid integer: {input}", "parameter_invalid_integer"),
    "int_from_float": ("Invalid integer: {input}", "parameter_invalid_integer"),
    "int_type": ("Invalid integer: {input}", "parameter_invalid_integer"),
    "bool_parsing": ("Invalid boolean: {input}", None),
    "bool_type": ("Invalid boolean: {input}", None),
    "decimal_parsing": ("Invalid decimal: {input}", None),
    "decimal_type": ("Invalid decimal: {input}", None),
    "float_parsing": ("Invalid decimal: {input}", None),
    "list_type": ("Invalid array", None),
    "dict_type": ("Invalid hash", None),
    "model_type": ("Invalid hash", None),
    "model_attributes_type": ("Invalid hash", None),
    "string_type": ("Invalid string: {input}", None),
}


def error_from_validation(exc: ValidationError, data: Mapping[str, Any]) -> InvalidRequest:
    """The first (most useful) problem as a Stripe ``invalid_request_error``."""
    errors = sorted(exc.errors(), key=lambda e: _RANK.get(e["type"], 2))
    err = errors[0]
    param = input_param(err["loc"], data, err["type"])
    kind, value = err["type"], err.get("input")
    if kind == "extra_forbidden":
        return InvalidRequest(f"Received unknown parameter: {param}", code="parameter_unknown", param=param)
    if kind == "missing":
        return InvalidRequest(f"Missing required param: {param}.", code="parameter_missing", param=param)
    if value is None and (kind.endswith("_type") or kind.endswith("_parsing") or kind == "literal_error"):
        return InvalidRequest(
            f"You passed an empty string for '{param}'. We assume empty values are an attempt to unset a "
            f"parameter; however '{param}' cannot be unset. You should remove '{param}' from your request or "
            "supply a non-empty value.",
            code="parameter_invalid_empty",
            param=param,
        )
    if kind in _TYPE_MESSAGES:
        template, code = _TYPE_MESSAGES[kind]
        return InvalidRequest(template.format(input=value), code=code, param=param)
    ctx = err.get("ctx") or {}
    if kind in ("literal_error", "enum"):
        message = f"Invalid {param}: must be one of {ctx.get('expected', '')}"
    elif kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        message = f"Invalid {param}: {err['msg'].removeprefix('Input should be ')}"
    elif kind in ("string_too_long", "too_long"):
        message = f"Invalid {param}: must be at most {ctx.get('max_length')} characters"
    elif kind in ("string_too_short", "too_short"):
        message = f"Invalid {param}: must be at least {ctx.get('min_length')} characters"
    else:
        message = f"Invalid {param}: {err['msg'].removeprefix('Value error, ')}"
    return InvalidRequest(message, param=param)


def validate[P: BaseModel](model: type[P], data: Mapping[str, Any]) -> P:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error_from_validation(exc, data) from None
