"""Integer money: currency exponents, exact rounding, exact splitting, display.

Amounts are integers in the currency's minor unit (yen for JPY, cents for USD). Anything finer
than a minor unit (a tax share, a prorated price, a percentage) is an exact ``Fraction`` or
``Decimal`` until it is rounded here, once, by a named mode. No float is ever involved.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

# Stripe's zero-decimal currencies: the amount is the number of whole units.
_ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)
# Three-decimal currencies (amounts in thousandths; Stripe wants the last digit to be 0).
_THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})

ROUNDING_MODES = ("down", "up", "half_up", "half_even")


def currency_exponent(currency: str) -> int:
    """Digits after the decimal point of the currency's major unit, as Stripe's API counts them."""
    code = currency.lower()
    if code in _ZERO_DECIMAL:
        return 0
    if code in _THREE_DECIMAL:
        return 3
    return 2


def round_fraction(value: Fraction, mode: str) -> int:
    """Round an exact rational to an integer.

    Modes are symmetric around zero, so a credit rounds exactly like the matching charge:
    ``down`` toward zero (切り捨て), ``up`` away from zero (切り上げ), ``half_up`` to nearest with
    ties away from zero (四捨五入), ``half_even`` to nearest with ties to the even neighbour.
    """
    whole, remainder = divmod(abs(value.numerator), value.denominator)
    if mode == "down":
        bump = False
    elif mode == "up":
        bump = remainder > 0
    elif mode == "half_up":
        bump = 2 * remainder >= value.denominator
    elif mode == "half_even":
        twice = 2 * remainder
        bump = twice > value.denominator or (twice == value.denominator and whole % 2 == 1)
    else:
        raise ValueError(f"unknown rounding mode {mode!r}; expected one of {', '.join(ROUNDING_MODES)}")
    magnitude = whole + 1 if bump else whole
    return -magnitude if value.numerator < 0 else magnitude


def round_decimal(value: Decimal, mode: str) -> int:
    """``round_fraction`` for a ``Decimal`` (converted exactly; NaN and infinities are refused)."""
    return round_fraction(Fraction(value), mode)


def apportion(total: int, shares: Sequence[Fraction | int]) -> list[int]:
    """Integers close to exact ``shares`` that sum to ``total`` exactly (largest remainder).

    ``total`` must be within one unit of ``sum(shares)``, as any rounding of that sum is. Each
    result is the floor or the ceiling of its share, so a share of 0 stays 0, a share between 0
    and a line's amount stays between them, and shares of either sign work. The leftover units go
    to the largest fractional parts, earlier positions first on ties; a negative total is
    handled as the mirror image of the positive one, so ``apportion(-t, -s) == -apportion(t, s)``.
    """
    exact = [Fraction(share) for share in shares]
    if abs(total - sum(exact, Fraction(0))) >= 1:
        raise ValueError(f"cannot apportion {total} over shares summing to {sum(exact, Fraction(0))}")
    if len(exact) == 1:  # most taxes fall on one line: the whole is its part
        return [total]
    if total < 0:
        return [-part for part in apportion(-total, [-share for share in exact])]
    floors = [share.numerator // share.denominator for share in exact]
    leftover = total - sum(floors)
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in by_remainder[:leftover]:
        floors[i] += 1
    return floors


def allocate(total: int, weights: Sequence[int | Fraction]) -> list[int]:
    """Split ``total`` in proportion to ``weights``; the parts always sum to ``total``.

    Largest remainder method with deterministic ties (earlier weights first), zero weights get 0,
    negative totals mirror positive ones. The weights must not sum to zero unless ``total`` is
    zero (then every part is 0).
    """
    weight_sum = sum((Fraction(weight) for weight in weights), Fraction(0))
    if weight_sum == 0:
        if total != 0:
            raise ValueError("cannot allocate a non-zero total over weights that sum to zero")
        return [0] * len(weights)
    return apportion(total, [total * Fraction(weight) / weight_sum for weight in weights])


# Symbols as CLDR shows them to English readers; Japanese readers see a few differently.
_SYMBOLS = {
    "aud": "A$",
    "brl": "R$",
    "cad": "CA$",
    "cny": "CN¥",
    "eur": "€",
    "gbp": "£",
    "hkd": "HK$",
    "inr": "₹",
    "jpy": "¥",
    "krw": "₩",
    "mxn": "MX$",
    "nzd": "NZ$",
    "php": "₱",
    "twd": "NT$",
    "usd": "$",
    "vnd": "₫",
}
_SYMBOLS_JA = {**_SYMBOLS, "cny": "元"}


def format_amount(amount: int, currency: str, locale: str = "ja") -> str:
    """Display an amount in minor units, e.g. ``format_amount(5500, "jpy") == "¥5,500"``.

    Digits are grouped by thousands with ``,`` and ``.`` separates the minor unit, which is how
    both Japanese and English readers write money; the locale only picks currency symbols. A
    currency without a known symbol is shown with its upper-case code in front.
    """
    exponent = currency_exponent(currency)
    whole, minor = divmod(abs(amount), 10**exponent)
    number = f"{whole:,}" + (f".{minor:0{exponent}d}" if exponent else "")
    symbols = _SYMBOLS_JA if locale.lower().split("-")[0].split("_")[0] == "ja" else _SYMBOLS
    prefix = symbols.get(currency.lower(), f"{currency.upper()} ")
    return f"{'-' if amount < 0 else ''}{prefix}{number}"
