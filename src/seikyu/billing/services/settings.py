"""The account's billing settings, one row per mode, created with defaults on first use."""

from __future__ import annotations

from collections.abc import Iterable

from seikyu.billing.models import BillingSettings


def get_billing_settings(livemode: bool) -> BillingSettings:
    settings, _ = BillingSettings.objects.get_or_create(livemode=livemode)
    return settings


def billing_settings_for(modes: Iterable[bool]) -> dict[bool, BillingSettings]:
    """Settings for every mode in ``modes`` (batch code: at most two rows, usually one query)."""
    wanted = set(modes)
    found = {s.livemode: s for s in BillingSettings.objects.filter(livemode__in=wanted)}
    for mode in wanted - found.keys():
        found[mode] = get_billing_settings(mode)
    return found
