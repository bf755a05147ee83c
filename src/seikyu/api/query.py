"""Reading for endpoints: one object by id, and cursor-paginated lists.

Lists are ordered newest first by ``(created, id)``; a cursor is an object id, and the page after
(``starting_after``) or before (``ending_before``) it is found by comparing that pair, which stays
exact even when many objects share a timestamp. Every read is filtered on the key's ``livemode``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Model, Q, QuerySet

from seikyu.core.clock import from_unix
from seikyu.core.errors import InvalidRequest, ResourceMissing

from .params import ListParams, RangeFilter
from .routing import ApiRequest

_SECOND = dt.timedelta(seconds=1)


def kind_of(model: type[Model]) -> str:
    """The name used in "No such …" messages: ``TaxRate`` -> ``tax_rate``."""
    return model._meta.verbose_name.replace(" ", "_") if model._meta.verbose_name else model.__name__.lower()


def fetch[M: Model](
    req: ApiRequest, source: type[M] | QuerySet[M], object_id: str, *, kind: str | None = None, param: str = "id"
) -> M:
    """The object with this id in the key's mode, or ``resource_missing``."""
    queryset = source if isinstance(source, QuerySet) else source._default_manager.all()
    obj = queryset.filter(livemode=req.livemode, id=object_id).first()
    if obj is None:
        raise ResourceMissing(kind or kind_of(queryset.model), object_id, param=param)
    return obj


def range_q(field: str, value: int | RangeFilter | None) -> Q:
    """``created=<unix>`` (that second) or ``created[gt|gte|lt|lte]=<unix>`` as a filter on a
    datetime column, in whole seconds as the wire counts them."""
    if value is None:
        return Q()
    if isinstance(value, int):
        at = from_unix(value)
        return Q(**{f"{field}__gte": at, f"{field}__lt": at + _SECOND})  # type: ignore[operator]
    q = Q()
    if value.gt is not None:
        q &= Q(**{f"{field}__gte": from_unix(value.gt + 1)})
    if value.gte is not None:
        q &= Q(**{f"{field}__gte": from_unix(value.gte)})
    if value.lt is not None:
        q &= Q(**{f"{field}__lt": from_unix(value.lt)})
    if value.lte is not None:
        q &= Q(**{f"{field}__lt": from_unix(value.lte + 1)})
    return q


def list_object(data: Iterable[dict[str, Any]], url: str, *, has_more: bool = False) -> dict[str, Any]:
    """A list object; also used for lists nested in objects (``subscription.items``)."""
    return {"object": "list", "data": list(data), "has_more": has_more, "url": url}


def paginate[M: Model](
    req: ApiRequest,
    queryset: QuerySet[M],
    params: ListParams,
    render: Callable[[M], dict[str, Any]] | None = None,
    *,
    render_many: Callable[[list[M]], list[dict[str, Any]]] | None = None,
    url: str | None = None,
) -> dict[str, Any]:
    """One page of ``queryset`` (already filtered by the endpoint) as a list object. Pass
    ``render`` (one object) or ``render_many`` (the whole page, to preload related data in a
    constant number of queries)."""
    qs = queryset.filter(livemode=req.livemode).filter(range_q("created", params.created))
    if params.starting_after and params.ending_before:
        raise InvalidRequest(
            "You may only specify one of these parameters: ending_before, starting_after.", param="ending_before"
        )
    limit = params.limit
    if params.ending_before:
        created, last_id = _cursor(req, queryset.model, params.ending_before, "ending_before")
        later = qs.filter(Q(created__gt=created) | Q(created=created, id__gt=last_id))
        page = list(later.order_by("created", "id")[: limit + 1])
        has_more = len(page) > limit
        rows = page[:limit][::-1]
    else:
        if params.starting_after:
            created, last_id = _cursor(req, queryset.model, params.starting_after, "starting_after")
            qs = qs.filter(Q(created__lt=created) | Q(created=created, id__lt=last_id))
        page = list(qs.order_by("-created", "-id")[: limit + 1])
        has_more = len(page) > limit
        rows = page[:limit]
    return list_object(render_rows(rows, render, render_many), url or req.path, has_more=has_more)


def render_rows[M: Model](
    rows: list[M],
    render: Callable[[M], dict[str, Any]] | None,
    render_many: Callable[[list[M]], list[dict[str, Any]]] | None,
) -> list[dict[str, Any]]:
    if render_many is not None:
        return render_many(rows)
    if render is None:
        raise TypeError("pass render or render_many")
    return [render(row) for row in rows]


def _cursor(req: ApiRequest, model: type[Model], object_id: str, param: str) -> tuple[dt.datetime, str]:
    row = model._default_manager.filter(livemode=req.livemode, id=object_id).values_list("created", "id").first()
    if row is None:
        raise ResourceMissing(kind_of(model), object_id, param=param)
    return row
