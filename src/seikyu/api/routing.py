"""Declarative routes: each resource module under ``api/resources`` exposes ``router = Router()``
and decorates its handlers; ``discover()`` collects them all for the dispatcher and the OpenAPI
document.

A handler is ``def handler(req: ApiRequest, params: SomeParams, **path_params) -> dict``: the
params model comes from the ``params`` annotation, the return value is the wire object (the
dispatcher applies ``expand`` to it).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from .params import Params

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import ApiKey

Handler = Callable[..., dict[str, Any]]

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class ApiRequest:
    """What a handler needs to know about the request; ``livemode`` selects the data."""

    livemode: bool
    api_key: ApiKey | None
    request_id: str
    idempotency_key: str | None
    method: str
    path: str
    http: HttpRequest | None = None


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    params: type[Params]
    returns: str
    summary: str
    auth: bool = True
    pattern: re.Pattern[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        segments = []
        for segment in self.path.split("/"):
            placeholder = _PLACEHOLDER.fullmatch(segment)
            segments.append(f"(?P<{placeholder.group(1)}>[^/]+)" if placeholder else re.escape(segment))
        object.__setattr__(self, "pattern", re.compile("^" + "/".join(segments) + "$"))

    @property
    def specificity(self) -> tuple[int, ...]:
        # Literal segments win over placeholders: /v1/customers/search before /v1/customers/{id}.
        return tuple(1 if _PLACEHOLDER.fullmatch(seg) else 0 for seg in self.path.split("/"))


class Router:
    """Collects a module's routes. ``returns`` names the object for the OpenAPI document."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(self, method: str, path: str, *, returns: str, auth: bool = True) -> Callable[[Handler], Handler]:
        if not path.startswith("/v1/"):
            raise ValueError(f"API paths start with /v1/: {path}")

        def register(handler: Handler) -> Handler:
            hints = typing.get_type_hints(handler)
            params = hints.get("params", Params)
            summary = (handler.__doc__ or handler.__name__.replace("_", " ")).strip().splitlines()[0]
            self.routes.append(Route(method, path, handler, params, returns, summary, auth))
            return handler

        return register

    def get(self, path: str, *, returns: str, auth: bool = True) -> Callable[[Handler], Handler]:
        return self.route("GET", path, returns=returns, auth=auth)

    def post(self, path: str, *, returns: str) -> Callable[[Handler], Handler]:
        return self.route("POST", path, returns=returns)

    def delete(self, path: str, *, returns: str) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, returns=returns)


@cache
def discover() -> tuple[Route, ...]:
    """Every route of every module in ``seikyu.api.resources``, most specific first."""
    from . import resources

    routes: list[Route] = []
    for info in pkgutil.iter_modules(resources.__path__):
        module = importlib.import_module(f"{resources.__name__}.{info.name}")
        router = getattr(module, "router", None)
        if isinstance(router, Router):
            routes.extend(router.routes)
    seen: set[tuple[str, str]] = set()
    for r in routes:
        if (r.method, r.path) in seen:
            raise RuntimeError(f"Route defined twice: {r.method} {r.path}")
        seen.add((r.method, r.path))
    return tuple(sorted(routes, key=lambda r: r.specificity))


def resolve(method: str, path: str) -> tuple[Route | None, dict[str, str], list[str]]:
    """The route for ``method path`` with its path parameters, or ``None`` and the methods the
    path does accept (empty: unknown URL)."""
    allowed: list[str] = []
    for candidate in discover():
        match = candidate.pattern.match(path)
        if match is None:
            continue
        if candidate.method == method:
            return candidate, match.groupdict(), []
        allowed.append(candidate.method)
    return None, {}, allowed
