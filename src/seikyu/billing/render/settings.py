"""``billing_settings`` (Seikyu extension) in its wire shape."""

from __future__ import annotations

from typing import Any

from seikyu.account.fields import render_leaves

from ..models import BillingSettings
from ..settings_fields import LEAVES


def render_billing_settings(settings: BillingSettings) -> dict[str, Any]:
    return {"object": "billing_settings", "livemode": settings.livemode, **render_leaves(settings, LEAVES)}
