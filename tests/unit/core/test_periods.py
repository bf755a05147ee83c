import datetime as dt
from fractions import Fraction

import pytest

from seikyu.core.periods import add_interval, monthly_equivalent_fraction, next_period_end, period_containing

JST = dt.timezone(dt.timedelta(hours=9))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


def test_month_end_anchor_clamps_without_drifting() -> None:
    anchor = utc(2024, 1, 31, 10, 30)
    boundaries = [add_interval(anchor, "month", 1, n) for n in range(1, 6)]
    assert boundaries == [
        utc(2024, 2, 29, 10, 30),
        utc(2024, 3, 31, 10, 30),
        utc(2024, 4, 30, 10, 30),
        utc(2024, 5, 31, 10, 30),
        utc(2024, 6, 30, 10, 30),
    ]
    assert add_interval(anchor, "month", 1, 13) == utc(2025, 2, 28, 10, 30)


def test_multi_month_and_negative_steps() -> None:
    anchor = utc(2024, 11, 30)
    assert add_interval(anchor, "month", 3) == utc(2025, 2, 28)
    assert add_interval(anchor, "month", 3, 2) == utc(2025, 5, 30)
    assert add_interval(anchor, "month", 1, -9) == utc(2024, 2, 29)
    assert add_interval(anchor, "month", 1, 0) == anchor


def test_leap_day_yearly_anchor() -> None:
    anchor = utc(2024, 2, 29, 0, 0, 1)
    assert add_interval(anchor, "year", 1) == utc(2025, 2, 28, 0, 0, 1)
    assert add_interval(anchor, "year", 1, 4) == utc(2028, 2, 29, 0, 0, 1)
    assert add_interval(anchor, "year", 2, 2) == utc(2028, 2, 29, 0, 0, 1)


def test_day_and_week_are_exact_steps() -> None:
    anchor = utc(2024, 12, 30, 23, 59, 59)
    assert add_interval(anchor, "day", 1) == utc(2024, 12, 31, 23, 59, 59)
    assert add_interval(anchor, "day", 14, 2) == utc(2025, 1, 27, 23, 59, 59)
    assert add_interval(anchor, "week", 2) == utc(2025, 1, 13, 23, 59, 59)


def test_other_timezones_are_converted_to_utc() -> None:
    # Midnight Feb 1 in Tokyo is Jan 31 15:00 UTC: the anchor's UTC day (31) is what is kept.
    anchor = dt.datetime(2025, 2, 1, tzinfo=JST)
    result = add_interval(anchor, "month", 1)
    assert result.tzinfo == dt.UTC
    assert result == utc(2025, 2, 28, 15)


def test_naive_datetimes_and_bad_intervals_are_refused() -> None:
    with pytest.raises(ValueError):
        add_interval(dt.datetime(2025, 1, 1), "month", 1)
    with pytest.raises(ValueError):
        add_interval(utc(2025, 1, 1), "fortnight", 1)
    with pytest.raises(ValueError):
        add_interval(utc(2025, 1, 1), "month", 0)


def test_period_containing() -> None:
    anchor = utc(2024, 1, 31, 12)
    assert period_containing(anchor, "month", 1, utc(2024, 3, 15)) == (utc(2024, 2, 29, 12), utc(2024, 3, 31, 12))
    # A boundary belongs to the period it starts.
    assert period_containing(anchor, "month", 1, utc(2024, 3, 31, 12)) == (utc(2024, 3, 31, 12), utc(2024, 4, 30, 12))
    # Same calendar month as the next boundary, but before its day and time.
    assert period_containing(anchor, "month", 1, utc(2024, 3, 31, 11, 59, 59)) == (
        utc(2024, 2, 29, 12),
        utc(2024, 3, 31, 12),
    )
    assert period_containing(anchor, "month", 1, utc(2023, 12, 31, 12)) == (utc(2023, 12, 31, 12), anchor)
    assert period_containing(anchor, "week", 1, utc(2024, 2, 1)) == (utc(2024, 1, 31, 12), utc(2024, 2, 7, 12))
    assert period_containing(anchor, "year", 1, utc(2026, 1, 1)) == (utc(2025, 1, 31, 12), utc(2026, 1, 31, 12))


def test_next_period_end_is_strictly_after() -> None:
    anchor = utc(2025, 1, 15)
    assert next_period_end(anchor, "month", 1, anchor) == utc(2025, 2, 15)
    assert next_period_end(anchor, "month", 1, utc(2025, 2, 15)) == utc(2025, 3, 15)
    assert next_period_end(anchor, "month", 1, utc(2025, 2, 14, 23, 59, 59)) == utc(2025, 2, 15)
    assert next_period_end(anchor, "day", 7, utc(2025, 1, 20)) == utc(2025, 1, 22)


@pytest.mark.parametrize(
    ("interval", "count", "fraction"),
    [
        ("month", 1, Fraction(1)),
        ("month", 3, Fraction(1, 3)),
        ("year", 1, Fraction(1, 12)),
        ("week", 1, Fraction(52, 12)),
        ("week", 2, Fraction(26, 12)),
        ("day", 1, Fraction(365, 12)),
    ],
)
def test_monthly_equivalent_fraction(interval: str, count: int, fraction: Fraction) -> None:
    assert monthly_equivalent_fraction(interval, count) == fraction
