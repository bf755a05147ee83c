import datetime as dt
from fractions import Fraction

import pytest

from seikyu.core.proration import prorate, proration_pair, remaining_fraction

START = dt.datetime(2025, 4, 1, tzinfo=dt.UTC)
END = dt.datetime(2025, 5, 1, tzinfo=dt.UTC)  # 30 days


def test_remaining_fraction_counts_seconds() -> None:
    assert remaining_fraction(START, END, dt.datetime(2025, 4, 16, tzinfo=dt.UTC)) == Fraction(1, 2)
    assert remaining_fraction(START, END, START + dt.timedelta(seconds=1)) == Fraction(30 * 86400 - 1, 30 * 86400)
    # Sub-second parts are dropped, as Stripe's timestamps are whole seconds.
    assert remaining_fraction(START, END, START + dt.timedelta(microseconds=999_999)) == 1


def test_remaining_fraction_clamps() -> None:
    assert remaining_fraction(START, END, START - dt.timedelta(days=3)) == 1
    assert remaining_fraction(START, END, END + dt.timedelta(days=3)) == 0
    assert remaining_fraction(START, END, END) == 0
    with pytest.raises(ValueError):
        remaining_fraction(END, START, START)
    with pytest.raises(ValueError):
        remaining_fraction(START, END, dt.datetime(2025, 4, 2))


def test_prorate_rounds_half_up_by_default() -> None:
    assert prorate(1000, Fraction(1, 3)) == 333
    assert prorate(1000, Fraction(2, 3)) == 667
    assert prorate(5, Fraction(1, 2)) == 3
    assert prorate(-5, Fraction(1, 2)) == -3
    assert prorate(5, Fraction(1, 2), "half_even") == 2
    assert prorate(5, Fraction(1, 2), "down") == 2


def test_upgrade_pair_adds_up_to_the_prorated_difference() -> None:
    # ¥1,000 → ¥2,000 with a third of the month left: exact -333.3 and +666.7.
    credit, charge = proration_pair(1000, 2000, Fraction(1, 3))
    assert (credit, charge) == (-334, 667)
    assert credit + charge == prorate(1000, Fraction(1, 3)) == 333


def test_downgrade_and_edge_pairs() -> None:
    # The credit absorbs the rounding: -666 + 333 == prorate(-1000, 1/3) == -333.
    assert proration_pair(2000, 1000, Fraction(1, 3)) == (-666, 333)
    assert proration_pair(1000, 0, Fraction(1, 2)) == (-500, 0)
    assert proration_pair(0, 1000, Fraction(1, 2)) == (0, 500)
    assert proration_pair(1000, 2000, Fraction(0)) == (0, 0)
    assert proration_pair(1000, 2000, Fraction(1)) == (-1000, 2000)


def test_pair_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        proration_pair(-1, 100, Fraction(1, 2))
    with pytest.raises(ValueError):
        proration_pair(1, 100, Fraction(3, 2))
