"""Exact tax arithmetic for percentage tax rates (Japanese consumption tax, sales tax, VAT).

Everything here is exact (``Fraction``); rounding happens once per rate per invoice in
``invoice_math`` (or in ``tax_amount`` for a single amount), never per unit or per line.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

from .money import round_fraction

_HUNDRED = Fraction(100)


def pretax_value(amount: int | Fraction, inclusive_percentages: Iterable[Decimal]) -> Fraction:
    """The part of ``amount`` that is not tax, when it includes taxes at these percentages.

    Several inclusive rates on one amount share one tax-exclusive value (¥1,150 holding 10 %
    and 5 % is ¥1,000 plus ¥100 plus ¥50), so they divide by 100 plus their sum.
    """
    included = sum((Fraction(p) for p in inclusive_percentages), Fraction(0))
    return Fraction(amount) * _HUNDRED / (_HUNDRED + included)


def exact_tax(amount: int | Fraction, percentage: Decimal, *, inclusive: bool) -> Fraction:
    """Tax at one rate on ``amount``: ``amount × p/100`` on top, or ``amount × p/(100+p)`` inside."""
    return pretax_value(amount, [percentage] if inclusive else []) * Fraction(percentage) / _HUNDRED


def tax_amount(amount: int, percentage: Decimal, *, inclusive: bool, rounding: str) -> int:
    """``exact_tax`` rounded once with a ``money.ROUNDING_MODES`` mode (e.g. a price's display tax)."""
    return round_fraction(exact_tax(amount, percentage, inclusive=inclusive), rounding)
