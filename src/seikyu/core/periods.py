"""Billing period arithmetic, the way Stripe counts periods.

A recurring price bills every ``count`` ``interval``s (day, week, month, year) from an anchor
(the billing cycle anchor). Boundary n is always computed from the anchor, never chained from
the previous boundary: a subscription anchored on Jan 31 renews Feb 28 (29 in leap years),
Mar 31, Apr 30, May 31 … so one short month never drags later renewals to an earlier day.
Month and year boundaries keep the anchor's day of month (clamped to the month's last day) and
its time of day; day and week boundaries are exact multiples of 24 h / 7 d. All datetimes are
aware and in UTC (others are converted; naive ones are refused).
"""

from __future__ import annotations

import calendar
import datetime as dt
from fractions import Fraction

INTERVALS = ("day", "week", "month", "year")

# Multiplier taking one interval's amount to a month's (a week is 52/12 of a month, a day 365/12).
_MONTHLY_FACTOR = {"day": Fraction(365, 12), "week": Fraction(52, 12), "month": Fraction(1), "year": Fraction(1, 12)}


def add_interval(anchor: dt.datetime, interval: str, count: int, n: int = 1) -> dt.datetime:
    """Boundary ``n`` of the schedule starting at ``anchor`` (n may be 0 or negative)."""
    anchor = _utc(anchor)
    _check(interval, count)
    if interval in ("day", "week"):
        return anchor + n * _fixed_step(interval, count)
    months = anchor.month - 1 + n * count * (12 if interval == "year" else 1)
    year, month_index = divmod(months, 12)
    year += anchor.year
    month = month_index + 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return anchor.replace(year=year, month=month, day=day)


def period_containing(
    anchor: dt.datetime, interval: str, count: int, at: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """The period ``[start, end)`` of the schedule that holds ``at`` (before the anchor too)."""
    n = _period_index(_utc(anchor), interval, count, _utc(at))
    return add_interval(anchor, interval, count, n), add_interval(anchor, interval, count, n + 1)


def next_period_end(anchor: dt.datetime, interval: str, count: int, after: dt.datetime) -> dt.datetime:
    """The first boundary strictly after ``after``."""
    return period_containing(anchor, interval, count, after)[1]


def monthly_equivalent_fraction(interval: str, count: int) -> Fraction:
    """What one period's amount is worth per month (for MRR): month 1, year 1/12, week 52/12, day 365/12."""
    _check(interval, count)
    return _MONTHLY_FACTOR[interval] / count


def _period_index(anchor: dt.datetime, interval: str, count: int, at: dt.datetime) -> int:
    _check(interval, count)
    if interval in ("day", "week"):
        return (at - anchor) // _fixed_step(interval, count)
    months_per_period = count * (12 if interval == "year" else 1)
    # Boundary n lies in the calendar month anchor + n periods, so counting calendar months
    # finds n, or n + 1 when `at` is in that month but before the boundary's day and time.
    n = ((at.year - anchor.year) * 12 + at.month - anchor.month) // months_per_period
    while add_interval(anchor, interval, count, n) > at:
        n -= 1
    return n


def _fixed_step(interval: str, count: int) -> dt.timedelta:
    return dt.timedelta(days=count * (7 if interval == "week" else 1))


def _check(interval: str, count: int) -> None:
    if interval not in INTERVALS:
        raise ValueError(f"unknown interval {interval!r}; expected one of {', '.join(INTERVALS)}")
    if count < 1:
        raise ValueError("interval count must be at least 1")


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("billing periods need timezone-aware datetimes")
    return value.astimezone(dt.UTC)
