"""``/v1/test_helpers/test_clocks`` (test mode only)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field as P

from seikyu.api.params import ListParams, Params
from seikyu.api.query import fetch, paginate
from seikyu.api.routing import ApiRequest, Router
from seikyu.billing.models import TestClock
from seikyu.billing.render.clocks import render_test_clock
from seikyu.billing.services import test_clocks

router = Router()


class ClockCreate(Params):
    frozen_time: int
    name: Annotated[str, P(max_length=300)] | None = None


class ClockAdvance(Params):
    frozen_time: int


def _clocks() -> Any:
    return TestClock.objects.filter(deleted_at__isnull=True)


@router.post("/v1/test_helpers/test_clocks", returns="test_helpers.test_clock")
def create_test_clock(req: ApiRequest, params: ClockCreate) -> dict[str, Any]:
    """Create a test clock frozen at ``frozen_time``."""
    return render_test_clock(test_clocks.create_test_clock(params.given(), livemode=req.livemode))


@router.get("/v1/test_helpers/test_clocks/{id}", returns="test_helpers.test_clock")
def retrieve_test_clock(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Retrieve a test clock (poll it until ``status`` is ``ready`` after an advance)."""
    return render_test_clock(fetch(req, _clocks(), id, kind="test_helpers.test_clock"))


@router.delete("/v1/test_helpers/test_clocks/{id}", returns="test_helpers.test_clock")
def delete_test_clock(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Delete a test clock and the customers on it."""
    return test_clocks.delete_test_clock(id, livemode=req.livemode)


@router.post("/v1/test_helpers/test_clocks/{id}/advance", returns="test_helpers.test_clock")
def advance_test_clock(req: ApiRequest, params: ClockAdvance, id: str) -> dict[str, Any]:
    """Start advancing the clock to ``frozen_time``; the worker moves it and sets ``ready``."""
    return render_test_clock(test_clocks.advance_test_clock(id, params.given(), livemode=req.livemode))


@router.get("/v1/test_helpers/test_clocks", returns="list")
def list_test_clocks(req: ApiRequest, params: ListParams) -> dict[str, Any]:
    """List test clocks, newest first."""
    return paginate(req, _clocks(), params, render_test_clock)
