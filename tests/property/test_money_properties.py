from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from seikyu.core.money import allocate, apportion, round_decimal, round_fraction

DECIMAL_MODES = {"down": ROUND_DOWN, "up": ROUND_UP, "half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}

totals = st.integers(min_value=-(10**12), max_value=10**12)
weight_lists = st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=12).filter(any)


@settings(max_examples=300, deadline=None)
@given(
    st.decimals(min_value=-(10**9), max_value=10**9, places=4, allow_nan=False), st.sampled_from(list(DECIMAL_MODES))
)
def test_round_decimal_agrees_with_decimal_quantize(value: Decimal, mode: str) -> None:
    assert round_decimal(value, mode) == int(value.quantize(Decimal(1), rounding=DECIMAL_MODES[mode]))


@settings(max_examples=300, deadline=None)
@given(totals, weight_lists)
def test_allocate_sums_exactly_and_stays_proportional(total: int, weights: list[int]) -> None:
    parts = allocate(total, weights)
    assert sum(parts) == total
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        if weight == 0:
            assert part == 0
        # Every part is its exact share rounded down or up.
        assert abs(part - Fraction(total * weight, weight_sum)) < 1
    assert allocate(-total, weights) == [-part for part in parts]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.fractions(min_value=-(10**6), max_value=10**6, max_denominator=1000), min_size=1, max_size=10),
    st.sampled_from(["down", "up", "half_up", "half_even"]),
)
def test_apportion_hits_any_rounding_of_the_exact_sum(shares: list[Fraction], mode: str) -> None:
    total = round_fraction(sum(shares, Fraction(0)), mode)
    parts = apportion(total, shares)
    assert sum(parts) == total
    for part, share in zip(parts, shares, strict=True):
        assert part in (share.numerator // share.denominator, -(-share.numerator // share.denominator))
