from decimal import Decimal
from fractions import Fraction

import pytest

from seikyu.core.money import allocate, apportion, currency_exponent, format_amount, round_decimal, round_fraction


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [("jpy", 0), ("JPY", 0), ("krw", 0), ("vnd", 0), ("usd", 2), ("eur", 2), ("kwd", 3), ("xyz", 2)],
)
def test_currency_exponent_follows_stripe(currency: str, exponent: int) -> None:
    assert currency_exponent(currency) == exponent


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "text"),
    [
        (5500, "jpy", "ja", "¥5,500"),
        (5500, "JPY", "en", "¥5,500"),
        (1234, "usd", "en", "$12.34"),
        (1234, "usd", "ja", "$12.34"),
        (5, "usd", "en", "$0.05"),
        (-1234, "usd", "en", "-$12.34"),
        (-300, "jpy", "ja-JP", "-¥300"),
        (123456789, "eur", "en", "€1,234,567.89"),
        (1234560, "kwd", "en", "KWD 1,234.560"),
        (1234, "cny", "en", "CN¥12.34"),
        (1234, "cny", "ja", "元12.34"),
        (0, "jpy", "ja", "¥0"),
    ],
)
def test_format_amount(amount: int, currency: str, locale: str, text: str) -> None:
    assert format_amount(amount, currency, locale) == text


@pytest.mark.parametrize(
    ("value", "down", "up", "half_up", "half_even"),
    [
        ("2.5", 2, 3, 3, 2),
        ("3.5", 3, 4, 4, 4),
        ("-2.5", -2, -3, -3, -2),
        ("2.4999", 2, 3, 2, 2),
        ("2.5001", 2, 3, 3, 3),
        ("-0.1", 0, -1, 0, 0),
        ("7", 7, 7, 7, 7),
        ("0", 0, 0, 0, 0),
    ],
)
def test_round_decimal_modes(value: str, down: int, up: int, half_up: int, half_even: int) -> None:
    expected = {"down": down, "up": up, "half_up": half_up, "half_even": half_even}
    for mode, result in expected.items():
        assert round_decimal(Decimal(value), mode) == result, mode


def test_round_fraction_is_exact_where_floats_are_not() -> None:
    # 1.005 is below 1.005 as a float; as an exact fraction it is a tie.
    assert round_fraction(Fraction(1005, 1000) * 100, "half_up") == 101
    assert round_fraction(Fraction(1, 3) * 3, "up") == 1


def test_unknown_rounding_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="rounding mode"):
        round_decimal(Decimal("1.5"), "bankers")
    with pytest.raises(ValueError):
        round_decimal(Decimal("NaN"), "down")


def test_allocate_largest_remainder_with_earlier_first_on_ties() -> None:
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(-100, [1, 1, 1]) == [-34, -33, -33]
    assert allocate(10, [1, 2, 3, 4]) == [1, 2, 3, 4]
    assert allocate(5, [1, 0, 1]) == [3, 0, 2]
    assert allocate(7, [0, 3, 0, 1]) == [0, 5, 0, 2]
    assert allocate(0, [5, 5]) == [0, 0]


def test_allocate_refuses_impossible_splits() -> None:
    with pytest.raises(ValueError):
        allocate(3, [])
    with pytest.raises(ValueError):
        allocate(3, [0, 0])
    assert allocate(0, [0, 0]) == [0, 0]


def test_apportion_keeps_mixed_signs_and_hits_the_total() -> None:
    # A +250.5 / -250.5 pair summing to 0: each side lands on a neighbour of its exact share.
    assert apportion(0, [Fraction(501, 2), Fraction(-501, 2)]) == [251, -251]
    assert apportion(31, [Fraction(21, 2)] * 3) == [11, 10, 10]
    with pytest.raises(ValueError):
        apportion(5, [Fraction(1), Fraction(2)])


def test_apportion_over_one_share_gives_it_the_whole_total_within_a_unit() -> None:
    assert apportion(101, [Fraction(201, 2)]) == [101]
    assert apportion(-100, [Fraction(-201, 2)]) == [-100]
    with pytest.raises(ValueError):
        apportion(102, [Fraction(201, 2)])
