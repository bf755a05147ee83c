"""Calling the ``/v1`` API in-process, encoded exactly as the official ``stripe`` library does.

    from api_support import ApiClient, api_key

    def test_something(db):
        api = ApiClient(api_key())
        status, body, headers = api.post("/v1/customers", {"email": "a@example.com"})

Or use the ``api`` / ``live_api`` fixtures (import them into your test module or conftest).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from stripe._encode import _api_encode

from seikyu.api.services import create_api_key


def api_key(livemode: bool = False, name: str = "tests") -> str:
    """A fresh secret key (``sk_test_…`` by default)."""
    return create_api_key(livemode=livemode, name=name)[1]


def encode(params: dict[str, Any] | None) -> str:
    """Form encoding as the stripe SDK sends it (indexed arrays, brackets left readable)."""
    encoded = urlencode(list(_api_encode(params or {})))
    return encoded.replace("%5B", "[").replace("%5D", "]")


@dataclass
class ApiResponse:
    status: int
    json: Any
    headers: dict[str, str]

    def __iter__(self):  # type: ignore[no-untyped-def]
        # ``status, body, headers = api.get(...)``
        return iter((self.status, self.json, self.headers))

    @property
    def error(self) -> dict[str, Any]:
        assert self.status >= 400, f"expected an error, got {self.status}: {self.json}"
        return self.json["error"]  # type: ignore[no-any-return]


class ApiClient:
    def __init__(self, secret: str | None, *, authorization: str | None = None) -> None:
        self.secret = secret
        self.authorization = authorization
        self.client = Client()

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Stripe-Version": "2026-10-28.endive"}
        if self.authorization is not None:
            headers["Authorization"] = self.authorization
        elif self.secret:
            headers["Authorization"] = f"Bearer {self.secret}"
        headers.update(extra or {})
        return headers

    def request(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
        raw: str | None = None,
    ) -> ApiResponse:
        """``raw`` sends an already-encoded form/query string instead of ``params``."""
        encoded = raw if raw is not None else encode(params)
        if method == "POST":
            response = self.client.generic(
                "POST",
                path,
                data=encoded,
                content_type="application/x-www-form-urlencoded",
                headers=self._headers(headers),
            )
        else:
            url = f"{path}{'&' if '?' in path else '?'}{encoded}" if encoded else path
            response = self.client.generic(method, url, headers=self._headers(headers))
        body = json.loads(response.content) if response.content else None
        return ApiResponse(response.status_code, body, dict(response.headers))

    def get(self, path: str, params: dict[str, Any] | None = None, **kw: Any) -> ApiResponse:
        return self.request("GET", path, params, **kw)

    def post(
        self, path: str, params: dict[str, Any] | None = None, *, idempotency_key: str | None = None, **kw: Any
    ) -> ApiResponse:
        if idempotency_key:
            kw["headers"] = {**kw.get("headers", {}), "Idempotency-Key": idempotency_key}
        return self.request("POST", path, params, **kw)

    def delete(self, path: str, params: dict[str, Any] | None = None, **kw: Any) -> ApiResponse:
        return self.request("DELETE", path, params, **kw)

    def ok(self, method: str, path: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        """The JSON body of a call that must succeed."""
        response = self.request(method, path, params, **kw)
        assert response.status == 200, f"{method} {path} -> {response.status}: {response.json}"
        return response.json


@pytest.fixture
def api(db: None) -> ApiClient:
    """A client with a test-mode key."""
    return ApiClient(api_key())


@pytest.fixture
def live_api(db: None) -> ApiClient:
    """A client with a live-mode key."""
    return ApiClient(api_key(livemode=True))
