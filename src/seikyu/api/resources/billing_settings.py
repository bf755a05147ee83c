"""``/v1/billing_settings`` (Seikyu extension): how billing behaves in the key's mode — invoice
drafts and numbering, tax rounding, payment retries and what happens when they end, and how long
before a renewal ``invoice.upcoming`` (and the renewal email) goes out.

One object per mode: a test key reads and changes the test settings, a live key the live ones.
Nested hashes are sent in the usual bracket form (``dunning[retry_schedule_days][0]=2``); an empty
value resets a setting (or a whole hash) to its default."""

from __future__ import annotations

from typing import Any

from seikyu.api.params import Params
from seikyu.api.routing import ApiRequest, Router
from seikyu.billing.render.settings import render_billing_settings
from seikyu.billing.services.settings import get_billing_settings, update_billing_settings
from seikyu.billing.settings_fields import BillingSettingsUpdate

router = Router()


class BillingSettingsParams(BillingSettingsUpdate, Params):
    pass


@router.get("/v1/billing_settings", returns="billing_settings")
def retrieve_billing_settings(req: ApiRequest, params: Params) -> dict[str, Any]:
    """Seikyu extension: retrieve the billing settings of the key's mode."""
    return render_billing_settings(get_billing_settings(req.livemode))


@router.post("/v1/billing_settings", returns="billing_settings")
def update_settings(req: ApiRequest, params: BillingSettingsParams) -> dict[str, Any]:
    """Seikyu extension: update the billing settings of the key's mode; unspecified settings keep their values."""
    return render_billing_settings(update_billing_settings(params.given(), livemode=req.livemode))
