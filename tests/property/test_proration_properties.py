import datetime as dt
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from seikyu.core.proration import prorate, proration_pair, remaining_fraction

prices = st.integers(min_value=0, max_value=10**9)
fractions = st.fractions(min_value=0, max_value=1, max_denominator=31 * 86400)


@settings(max_examples=500, deadline=None)
@given(prices, prices, fractions)
def test_pair_adds_up_to_the_prorated_difference(old: int, new: int, fraction: Fraction) -> None:
    credit, charge = proration_pair(old, new, fraction)
    assert credit + charge == prorate(new - old, fraction)
    assert credit <= 0 <= charge
    assert charge == prorate(new, fraction)
    assert abs(credit + prorate(old, fraction)) <= 1


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 1, 1), timezones=st.just(dt.UTC)),
    st.integers(min_value=1, max_value=400 * 86400),
    st.integers(min_value=-500 * 86400, max_value=900 * 86400),
)
def test_remaining_fraction_is_a_clamped_share_of_seconds(start: dt.datetime, length: int, offset: int) -> None:
    start = start.replace(microsecond=0)
    end = start + dt.timedelta(seconds=length)
    fraction = remaining_fraction(start, end, start + dt.timedelta(seconds=offset))
    assert 0 <= fraction <= 1
    assert fraction == Fraction(min(max(length - offset, 0), length), length)
