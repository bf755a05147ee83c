"""The account's billing settings, one row per mode, created with defaults on first use, and
their update (``billing_settings``: ``GET/POST /v1/billing_settings``, ``seikyu settings billing``).

An update is checked completely before the row is written, inside one transaction with the row
locked (the account's invoice counter lives in it), so a bad value changes nothing and its error
names the exact parameter (``dunning[retry_schedule_days][1]``). Settings apply from the moment
they are saved: drafts, retries and due dates already scheduled keep the times they were given,
except that a longer ``upcoming_renewal_days`` brings subscriptions' next wake-up forward so
their ``invoice.upcoming`` (and the renewal email, timed by the same number) is not missed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Length

from seikyu.account.fields import MISSING, given_value, stored_value, validated
from seikyu.billing.models import BillingSettings, Invoice, Subscription
from seikyu.core.errors import InvalidRequest

from ..settings_fields import LEAVES, BillingSettingsUpdate
from .numbering import format_number


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


_NUMBERING = ("invoice_numbering", "account_invoice_prefix", "next_account_invoice_sequence")


def update_billing_settings(data: Mapping[str, Any], *, livemode: bool) -> BillingSettings:
    """Apply a nested update to the mode's settings (``None`` resets a setting or a whole hash to
    its default); nothing is saved on error."""
    given = validated(BillingSettingsUpdate, data, "billing settings")
    with transaction.atomic():
        get_billing_settings(livemode)
        settings = BillingSettings.objects.select_for_update().get(livemode=livemode)
        renewal_days = settings.upcoming_renewal_days
        changed = []
        for leaf in LEAVES:
            value = given_value(given, leaf.path)
            if value is not MISSING:
                setattr(settings, leaf.column, stored_value(BillingSettings, leaf, value))
                changed.append(leaf.column)
        if set(changed) & set(_NUMBERING):
            _check_numbers_unused(settings)
        settings.save(update_fields=changed)
        if settings.upcoming_renewal_days > renewal_days:
            _wake_for_upcoming(livemode, dt.timedelta(days=settings.upcoming_renewal_days))
    return settings


def _check_numbers_unused(settings: BillingSettings) -> None:
    """A number is never given twice: the account's next number, and every one after it, must be
    above those its prefix has given in this mode. (Prefixes hold no hyphen, so ``<prefix>-``
    starts only its own numbers; the longest, then greatest, is the highest sequence.)"""
    prefix = settings.account_invoice_prefix
    last = (
        Invoice.objects.filter(livemode=settings.livemode, number__startswith=f"{prefix}-")
        .order_by(Length("number").desc(), "-number")
        .values_list("number", flat=True)
        .first()
    )
    suffix = (last or "").removeprefix(f"{prefix}-")
    if suffix.isdigit() and int(suffix) >= settings.next_account_invoice_sequence:
        raise InvalidRequest(
            f"Invoice numbers up to {last} have been given already, so the next account invoice number "
            f"must come after it: invoices[next_account_sequence] must be at least {int(suffix) + 1} "
            f"(it would give {format_number(prefix, settings.next_account_invoice_sequence)} again).",
            param="invoices[next_account_sequence]",
        )


def _wake_for_upcoming(livemode: bool, days: dt.timedelta) -> None:
    """Bring forward the next wake-up of subscriptions whose ``invoice.upcoming`` now falls before
    it, so the billing clock looks at them in time (it decides, with
    ``subscription_state.next_action_time``, whether anything is due; one statement)."""
    notice = F("current_period_end") - days
    Subscription.objects.filter(
        livemode=livemode,
        next_action_at__gt=notice,
        current_period_start__lt=notice,
        cancel_at_period_end=False,
    ).exclude(upcoming_sent_for_period_end=F("current_period_end")).update(next_action_at=notice)
