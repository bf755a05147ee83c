from decimal import Decimal
from fractions import Fraction

from seikyu.core.tax import exact_tax, pretax_value, tax_amount


def test_exclusive_and_inclusive_tax() -> None:
    assert exact_tax(5000, Decimal("10"), inclusive=False) == 500
    assert exact_tax(5500, Decimal("10"), inclusive=True) == 500
    assert exact_tax(1080, Decimal("8"), inclusive=True) == 80
    assert exact_tax(999, Decimal("8"), inclusive=True) == Fraction(999 * 8, 108)


def test_tax_amount_rounds_once_with_the_mode() -> None:
    # ¥1,234 tax included at 10 %: 112.18… → 112 down, 113 up.
    assert tax_amount(1234, Decimal("10"), inclusive=True, rounding="down") == 112
    assert tax_amount(1234, Decimal("10"), inclusive=True, rounding="up") == 113
    # $19.99 at 8.875 %: 177.41 cents.
    assert tax_amount(1999, Decimal("8.875"), inclusive=False, rounding="half_up") == 177


def test_several_inclusive_rates_share_one_pretax_value() -> None:
    assert pretax_value(1150, [Decimal("10"), Decimal("5")]) == 1000
    assert pretax_value(1150, []) == 1150
