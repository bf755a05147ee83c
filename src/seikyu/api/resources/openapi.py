from typing import Any

from seikyu.api.openapi import document
from seikyu.api.params import Params
from seikyu.api.routing import ApiRequest, Router

router = Router()


@router.get("/v1/openapi.json", returns="openapi", auth=False)
def openapi(req: ApiRequest, params: Params) -> dict[str, Any]:
    """The OpenAPI document of this API."""
    return document()
