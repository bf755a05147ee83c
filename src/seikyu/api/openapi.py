"""The OpenAPI document of ``/v1``, generated from the registered routes and their params models,
so it always covers exactly what the server accepts."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic.json_schema import models_json_schema

from seikyu.events.services import API_VERSION

from .routing import Route, discover

_ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "type": {"type": "string"},
                "code": {"type": "string"},
                "message": {"type": "string"},
                "param": {"type": "string"},
                "decline_code": {"type": "string"},
            },
            "required": ["type", "message"],
        }
    },
    "required": ["error"],
}


def _operation_id(route: Route) -> str:
    parts = [p.strip("{}") for p in route.path.removeprefix("/v1/").split("/")]
    return route.method.lower() + "_" + "_".join(parts)


@cache
def document() -> dict[str, Any]:
    routes = discover()
    models = sorted({r.params for r in routes}, key=lambda m: m.__name__)
    keyed, defs = models_json_schema([(m, "validation") for m in models], ref_template="#/components/schemas/{model}")
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        schema_ref = keyed[(route.params, "validation")]
        operation: dict[str, Any] = {
            "operationId": _operation_id(route),
            "summary": route.summary,
            "parameters": [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in route.pattern.groupindex
            ],
            "responses": {
                "200": {
                    "description": f"A {route.returns} object.",
                    "content": {"application/json": {"schema": {"type": "object", "x-stripe-object": route.returns}}},
                },
                "default": {
                    "description": "An error.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                },
            },
        }
        if not route.auth:
            operation["security"] = []
        if route.method == "POST":
            operation["requestBody"] = {
                "content": {"application/x-www-form-urlencoded": {"schema": schema_ref}},
                "required": False,
            }
        else:
            # Query parameters use Stripe's bracket encoding: deepObject with explode.
            operation["parameters"].append(
                {"name": "params", "in": "query", "style": "deepObject", "explode": True, "schema": schema_ref}
            )
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    schemas = {**defs.get("$defs", {}), "Error": _ERROR_SCHEMA}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Seikyu API",
            "version": API_VERSION,
            "description": "Stripe-compatible billing API. Parameters are form-encoded with bracketed nesting.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}, {"basicAuth": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "basicAuth": {"type": "http", "scheme": "basic"},
            },
        },
    }
