"""The one view behind ``/v1``: routing, authentication, parameters, idempotency, the request's
transaction, ``expand``, and Stripe-shaped errors. Every response carries ``Request-Id``."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any
from urllib.parse import parse_qsl

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from seikyu.core.errors import AuthenticationFailed, CardError, InvalidRequest, SeikyuError
from seikyu.core.ids import new_id
from seikyu.events.context import request_context
from seikyu.events.services import API_VERSION

from . import idempotency
from .expand import expand
from .models import ApiKey
from .params import decode, validate
from .routing import ApiRequest, Route, resolve
from .services import find_api_key, record_key_use

logger = logging.getLogger(__name__)


@csrf_exempt
def dispatch(request: HttpRequest, rest: str = "") -> HttpResponse:
    request_id = new_id("req")
    idempotency_key = request.headers.get("Idempotency-Key") or None
    try:
        response = _handle(request, request_id, idempotency_key)
    except SeikyuError as exc:
        response = error_response(exc)
    except Exception:
        logger.exception("Unhandled error in %s %s (request %s)", request.method, request.path_info, request_id)
        response = _internal_error()
    response["Request-Id"] = request_id
    response["Stripe-Version"] = API_VERSION
    if idempotency_key:
        response["Idempotency-Key"] = idempotency_key
    return response


def _handle(request: HttpRequest, request_id: str, idempotency_key: str | None) -> HttpResponse:
    method, path = request.method or "GET", request.path_info
    route, path_params, allowed = resolve(method, path)
    if route is None:
        message = f"Unrecognized request URL ({method}: {path})."
        if allowed:
            response = error_response(InvalidRequest(message + f" This URL accepts {', '.join(allowed)}."), 405)
            response["Allow"] = ", ".join(allowed)
            return response
        return error_response(InvalidRequest(message), 404)
    api_key = authenticate(request) if route.auth else None
    raw = decode(_pairs(request))
    params = validate(route.params, raw)
    livemode = bool(api_key and api_key.livemode)
    request.livemode = livemode  # type: ignore[attr-defined]
    req = ApiRequest(livemode, api_key, request_id, idempotency_key, method, path, request)
    if method != "POST" or not idempotency_key or api_key is None:
        return _run(route, req, params, path_params, None)
    fingerprint = idempotency.fingerprint(method, path, raw)
    claimed = idempotency.begin(api_key, idempotency_key, fingerprint)
    if isinstance(claimed, idempotency.Replay):
        response = HttpResponse(claimed.body, status=claimed.status, content_type="application/json")
        response["Idempotent-Replayed"] = "true"
        return response
    return _run(route, req, params, path_params, (api_key, claimed))


def _run(
    route: Route,
    req: ApiRequest,
    params: Any,
    path_params: dict[str, str],
    remember: tuple[ApiKey, idempotency.Claim] | None,
) -> HttpResponse:
    """Run the handler in one transaction; with ``remember`` (an idempotent POST's key and claim)
    the response is stored in that same transaction when it commits (success or decline), or
    after the rollback."""
    key = req.idempotency_key
    try:
        with request_context(req.request_id, key), transaction.atomic():
            if remember is not None and key:
                idempotency.hold(remember[0], key, remember[1])
            try:
                result = route.handler(req, params, **path_params)
            except CardError as exc:
                # A decline is an outcome, not bad input: the attempt and its events are kept, as
                # Stripe keeps a failed payment. Work that must vanish on decline is undone by the
                # service's own atomic block before the error reaches here.
                response = error_response(exc)
            else:
                if params.expand:
                    expand(result, params.expand, livemode=req.livemode)
                response = json_response(result)
            if remember is not None and key:
                idempotency.finish(remember[0], key, remember[1], response.status_code, response.content)
        return response
    except SeikyuError as exc:
        response = error_response(exc)
    except Exception:
        logger.exception("Unhandled error in %s %s (request %s)", req.method, req.path, req.request_id)
        response = _internal_error()
    if remember is not None and key:
        idempotency.finish(remember[0], key, remember[1], response.status_code, response.content)
    return response


def _pairs(request: HttpRequest) -> list[tuple[str, str]]:
    pairs = parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True)
    if request.method in ("POST", "DELETE") and request.body:
        content_type = request.content_type or ""
        if content_type not in ("application/x-www-form-urlencoded", ""):
            raise InvalidRequest(
                f"Invalid request: unsupported Content-Type {content_type}. "
                "Use application/x-www-form-urlencoded, as the Stripe libraries do."
            )
        try:
            body = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidRequest("Invalid request: the body is not UTF-8.") from None
        pairs += parse_qsl(body, keep_blank_values=True)
    return pairs


def authenticate(request: HttpRequest) -> ApiKey:
    secret = _secret_from(request.headers.get("Authorization", ""))
    if not secret:
        raise AuthenticationFailed(
            "You did not provide an API key. You need to provide your API key in the Authorization header, "
            "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
        )
    key = find_api_key(secret)
    if key is None:
        shown = f"{secret[:8]}{'*' * 4}{secret[-4:]}" if len(secret) > 12 else "****"
        raise AuthenticationFailed(f"Invalid API Key provided: {shown}")
    record_key_use(key)
    return key


def _secret_from(header: str) -> str:
    scheme, _, credentials = header.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer":
        return credentials
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[0]
    return ""


def _internal_error() -> HttpResponse:
    return error_response(
        SeikyuError("An unexpected error occurred while processing the request."), 500, error_type="api_error"
    )


def json_response(body: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type="application/json")


def error_response(exc: SeikyuError, status: int | None = None, *, error_type: str | None = None) -> HttpResponse:
    body = exc.to_dict()
    if error_type:
        body["type"] = error_type
    return json_response({"error": body}, status or exc.http_status)
