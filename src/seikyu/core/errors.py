"""Errors that carry Stripe's error shape, raised by services and rendered by the API.

A service raises these for anything the caller did wrong; the API face turns them into
``{"error": {...}}`` with the right HTTP status, the dashboard into a message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class SeikyuError(Exception):
    http_status = 400
    error_type = "invalid_request_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.extra = extra or {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.error_type, "message": self.message}
        if self.code:
            body["code"] = self.code
        if self.param:
            body["param"] = self.param
        if self.decline_code:
            body["decline_code"] = self.decline_code
        body.update(self.extra)
        return body


class InvalidRequest(SeikyuError):
    """Bad parameters or a request that does not fit the object's state (HTTP 400)."""


class ResourceMissing(SeikyuError):
    http_status = 404

    def __init__(self, kind: str, object_id: str, *, param: str | None = "id") -> None:
        super().__init__(f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


class CardError(SeikyuError):
    """A payment was declined or needs action (HTTP 402)."""

    http_status = 402
    error_type = "card_error"


class AuthenticationFailed(SeikyuError):
    http_status = 401


class PermissionDenied(SeikyuError):
    http_status = 403


class IdempotencyError(SeikyuError):
    error_type = "idempotency_error"


class Conflict(SeikyuError):
    """Another request with the same idempotency key is in flight (HTTP 409, retried by SDKs)."""

    http_status = 409


def param_name(path: Sequence[int | str]) -> str:
    """A parameter's wire name from its path: ``("items", 0, "price")`` → ``items[0][price]``."""
    return str(path[0]) + "".join(f"[{part}]" for part in path[1:]) if path else ""


def input_param(loc: Sequence[int | str], data: Any, kind: str = "") -> str:
    """The wire name of the input a validation error is about, from Pydantic's ``loc``. It
    follows the input, so union-member tags such as ``('trial_end', 'int')`` are left out: a key
    absent from the input is only part of the name when it is the missing or unknown key itself
    (``kind`` ``missing`` or ``extra_forbidden``, always the last element)."""
    parts: list[int | str] = []
    node = data
    for position, item in enumerate(loc):
        in_list = isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node)
        if in_list or (isinstance(node, Mapping) and item in node):
            node = node[item]
        elif position == len(loc) - 1 and kind in ("missing", "extra_forbidden"):
            node = None
        else:
            continue
        parts.append(item)
    return param_name(parts)
