import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from seikyu.core.periods import add_interval, next_period_end, period_containing

anchors = st.datetimes(
    min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2060, 12, 31), timezones=st.just(dt.UTC)
)
intervals = st.sampled_from(["day", "week", "month", "year"])
counts = st.integers(min_value=1, max_value=12)


@settings(max_examples=200, deadline=None)
@given(anchors, intervals, counts, st.integers(min_value=0, max_value=40))
def test_no_drift_without_clamping(anchor: dt.datetime, interval: str, count: int, n: int) -> None:
    anchor = anchor.replace(day=min(anchor.day, 28))
    chained = anchor
    for _ in range(n):
        chained = add_interval(chained, interval, count)
    assert add_interval(anchor, interval, count, n) == chained


@settings(max_examples=200, deadline=None)
@given(anchors, st.sampled_from(["month", "year"]), counts, st.integers(min_value=-40, max_value=40))
def test_day_of_month_is_the_anchors_whenever_the_month_has_it(
    anchor: dt.datetime, interval: str, count: int, n: int
) -> None:
    boundary = add_interval(anchor, interval, count, n)
    next_month = boundary.replace(day=1) + dt.timedelta(days=32)
    month_length = (next_month.replace(day=1) - dt.timedelta(days=1)).day
    assert boundary.day == min(anchor.day, month_length)
    assert boundary.time() == anchor.time()
    months = (boundary.year - anchor.year) * 12 + boundary.month - anchor.month
    assert months == n * count * (12 if interval == "year" else 1)


@settings(max_examples=300, deadline=None)
@given(anchors, intervals, counts, anchors)
def test_period_containing_brackets_the_moment(anchor: dt.datetime, interval: str, count: int, at: dt.datetime) -> None:
    start, end = period_containing(anchor, interval, count, at)
    assert start <= at < end
    assert next_period_end(anchor, interval, count, at) == end
    # Both ends are boundaries of the schedule, one period apart.
    assert period_containing(anchor, interval, count, start) == (start, end)
    assert period_containing(anchor, interval, count, end)[0] == end
