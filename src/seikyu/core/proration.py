"""Proration: what part of a period is left, and what a price change is worth for that part.

Time is counted in whole seconds (Stripe's timestamps are whole seconds, so a preview and the
real change made with the same ``proration_date`` give the same amounts). Prorated amounts round
half up (ties away from zero) by default, symmetrically for credits and charges.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from .money import round_fraction

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_SECOND = dt.timedelta(seconds=1)


def remaining_fraction(period_start: dt.datetime, period_end: dt.datetime, at: dt.datetime) -> Fraction:
    """The share of ``[period_start, period_end)`` still ahead at ``at``, clamped to [0, 1]."""
    start, end, now = (_unix_seconds(value) for value in (period_start, period_end, at))
    if end <= start:
        raise ValueError("a period must end after it starts")
    return Fraction(min(max(end - now, 0), end - start), end - start)


def prorate(amount: int, fraction: Fraction, mode: str = "half_up") -> int:
    """``amount × fraction`` rounded once (default half up; any ``money.ROUNDING_MODES`` mode)."""
    return round_fraction(amount * fraction, mode)


def proration_pair(old_amount: int, new_amount: int, fraction: Fraction) -> tuple[int, int]:
    """The credit for the unused old price and the charge for the new one, over ``fraction``.

    The charge is the new amount prorated on its own, which is what a customer would expect to
    read on a "remaining time on …" line; the credit absorbs the rounding so that
    ``credit + charge == prorate(new_amount - old_amount, fraction)`` exactly: the pair never
    bills more or less than the price difference for the remaining time. Rounding is monotonic,
    so the credit is ≤ 0 and the charge ≥ 0, and the credit is within one unit of
    ``-prorate(old_amount, fraction)``.
    """
    if old_amount < 0 or new_amount < 0:
        raise ValueError("proration amounts must not be negative")
    if not 0 <= fraction <= 1:
        raise ValueError("the remaining fraction must be between 0 and 1")
    charge = prorate(new_amount, fraction)
    return prorate(new_amount - old_amount, fraction) - charge, charge


def _unix_seconds(value: dt.datetime) -> int:
    if value.tzinfo is None:
        raise ValueError("proration needs timezone-aware datetimes")
    return (value - _EPOCH) // _SECOND
