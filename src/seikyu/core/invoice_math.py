"""Invoice totals: discounts, tax once per rate, totals and the customer balance.

The rules, in the order they are applied:

1. **Discounts** run in the given order, each on what the previous ones left. A discount touches
   the discountable lines in its scope (``MathDiscount.line_keys``; None = all). Its amount is
   ``percent_off`` of their summed net, rounded once half up, or ``amount_off`` capped at that
   sum (nothing when the sum is ≤ 0). Every line then gives up the same share of its net
   (largest remainder, ``money.apportion``), so a line's discounts never take it past zero,
   credits are discounted like charges, and line discounts sum to the discount exactly.
2. **Tax** is computed once per tax rate on the whole invoice, as a qualified invoice
   (適格請求書) requires: for each rate, the exact tax of every line carrying it is summed and
   rounded once with the account's mode. A line's exact tax is its tax-exclusive net × p/100,
   the tax-exclusive net being its discounted amount × 100/(100 + its inclusive percentages).
   With one rate per line this is ``base × p/100`` (exclusive) and
   ``base × p/(100+p)`` (inclusive), ``base`` being the summed discounted amounts. The rounded
   tax is shared back over the lines by their exact taxes, so line taxes sum to the rate total.
   A line's ``taxable_amount`` is its discounted amount minus its inclusive taxes; a rate's is
   the sum over its lines (for an inclusive rate: base − tax).
3. **Totals**: ``total = subtotal − discounts + exclusive tax``; ``total_excluding_tax = total −
   exclusive tax − inclusive tax``; ``subtotal_excluding_tax = subtotal −`` the inclusive tax held
   in the undiscounted amounts (computed like step 2 without discounts, once per inclusive rate),
   so without discounts it equals ``total_excluding_tax``.
4. **Balance**: ``total + starting_balance`` is what the customer owes. When positive it is the
   ``amount_due`` and the balance ends at 0; otherwise nothing is due and it is the
   ``ending_balance``. A credit (negative balance) thus lowers the amount due but never below 0, a
   debit is collected with the invoice, and a negative total becomes credit.
   ``applied_balance = ending_balance − starting_balance`` is the change the invoice makes to
   the customer's balance, so ``amount_due = total − applied_balance``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from .money import ROUNDING_MODES, apportion, round_fraction
from .tax import pretax_value

# Percent-off discounts round to the nearest unit, ties away from zero (tax rounding is a setting).
_DISCOUNT_ROUNDING = "half_up"


@dataclass(frozen=True)
class MathTaxRate:
    id: str
    percentage: Decimal
    inclusive: bool


@dataclass(frozen=True)
class MathLine:
    key: str
    # Before discounts; for inclusive rates the amount already holds the tax.
    amount: int
    discountable: bool = True
    tax_rates: tuple[MathTaxRate, ...] = ()


@dataclass(frozen=True)
class MathDiscount:
    id: str
    percent_off: Decimal | None
    amount_off: int | None
    # Keys of the lines this discount may reduce (None: every discountable line), e.g. only a
    # subscription's own lines, or the lines of the products a coupon applies to.
    line_keys: frozenset[str] | None = None


@dataclass(frozen=True)
class TaxAmount:
    """Tax at one rate, on one line (``LineTax``) or summed over the invoice (``RateTotal``)."""

    rate_id: str
    taxable_amount: int
    amount: int
    inclusive: bool


LineTax = TaxAmount
RateTotal = TaxAmount


@dataclass(frozen=True)
class LineMath:
    key: str
    amount: int
    discount_amounts: list[tuple[str, int]]
    # amount − discounts (still holding inclusive tax, not yet holding exclusive tax).
    net_amount: int
    taxes: list[LineTax]


@dataclass(frozen=True)
class InvoiceMath:
    lines: list[LineMath]
    subtotal: int
    subtotal_excluding_tax: int
    total_discount_amounts: list[tuple[str, int]]
    total_taxes: list[RateTotal]
    total_excluding_tax: int
    total: int
    starting_balance: int
    applied_balance: int
    ending_balance: int
    amount_due: int

    def line(self, key: str) -> LineMath:
        for line in self.lines:
            if line.key == key:
                return line
        raise KeyError(key)


def compute_invoice(
    lines: Sequence[MathLine],
    discounts: Sequence[MathDiscount],
    *,
    rounding: str,
    starting_balance: int = 0,
) -> InvoiceMath:
    """The invoice's amounts under the module's rules; ``ValueError`` on inconsistent input."""
    rates = _validate(lines, discounts, rounding)
    amounts = [line.amount for line in lines]
    net, line_discounts, total_discount_amounts = _apply_discounts(lines, discounts)

    line_taxes = _taxes_by_rate(lines, net, rates, rounding)
    included = [
        sum(line_taxes[rate.id].get(i, 0) for rate in line.tax_rates if rate.inclusive) for i, line in enumerate(lines)
    ]
    taxable = [net[i] - included[i] for i in range(len(lines))]
    total_taxes = [
        TaxAmount(
            rate_id=rate.id,
            taxable_amount=sum(taxable[i] for i in line_taxes[rate.id]),
            amount=sum(line_taxes[rate.id].values()),
            inclusive=rate.inclusive,
        )
        for rate in rates
    ]
    math_lines = [
        LineMath(
            key=line.key,
            amount=line.amount,
            discount_amounts=line_discounts[i],
            net_amount=net[i],
            taxes=[TaxAmount(rate.id, taxable[i], line_taxes[rate.id][i], rate.inclusive) for rate in line.tax_rates],
        )
        for i, line in enumerate(lines)
    ]

    subtotal = sum(amounts)
    discount_total = sum(amount for _, amount in total_discount_amounts)
    exclusive_tax = sum(rate.amount for rate in total_taxes if not rate.inclusive)
    inclusive_tax = sum(rate.amount for rate in total_taxes if rate.inclusive)
    if net != amounts:
        inclusive_rates = [rate for rate in rates if rate.inclusive]
        undiscounted = _taxes_by_rate(lines, amounts, inclusive_rates, rounding)
        undiscounted_inclusive_tax = sum(sum(by_line.values()) for by_line in undiscounted.values())
    else:
        undiscounted_inclusive_tax = inclusive_tax
    total = subtotal - discount_total + exclusive_tax
    owed = total + starting_balance
    ending_balance = min(owed, 0)
    return InvoiceMath(
        lines=math_lines,
        subtotal=subtotal,
        subtotal_excluding_tax=subtotal - undiscounted_inclusive_tax,
        total_discount_amounts=total_discount_amounts,
        total_taxes=total_taxes,
        total_excluding_tax=total - exclusive_tax - inclusive_tax,
        total=total,
        starting_balance=starting_balance,
        applied_balance=ending_balance - starting_balance,
        ending_balance=ending_balance,
        amount_due=max(owed, 0),
    )


def _validate(lines: Sequence[MathLine], discounts: Sequence[MathDiscount], rounding: str) -> list[MathTaxRate]:
    """Check the input and return the distinct tax rates in order of first appearance."""
    if rounding not in ROUNDING_MODES:
        raise ValueError(f"unknown rounding mode {rounding!r}; expected one of {', '.join(ROUNDING_MODES)}")
    if len({line.key for line in lines}) != len(lines):
        raise ValueError("invoice line keys must be unique")
    rates: dict[str, MathTaxRate] = {}
    for line in lines:
        if len({rate.id for rate in line.tax_rates}) != len(line.tax_rates):
            raise ValueError(f"line {line.key!r} carries the same tax rate twice")
        for rate in line.tax_rates:
            if rate.percentage < 0:
                raise ValueError(f"tax rate {rate.id!r} has a negative percentage")
            known = rates.setdefault(rate.id, rate)
            if (known.percentage, known.inclusive) != (rate.percentage, rate.inclusive):
                raise ValueError(f"tax rate {rate.id!r} appears with different percentages or inclusiveness")
    if len({discount.id for discount in discounts}) != len(discounts):
        raise ValueError("a discount can apply only once per invoice")
    for discount in discounts:
        if (discount.percent_off is None) == (discount.amount_off is None):
            raise ValueError(f"discount {discount.id!r} needs exactly one of percent_off and amount_off")
        if discount.percent_off is not None and not 0 <= discount.percent_off <= 100:
            raise ValueError(f"discount {discount.id!r}: percent_off must be between 0 and 100")
        if discount.amount_off is not None and discount.amount_off < 0:
            raise ValueError(f"discount {discount.id!r}: amount_off must not be negative")
    return list(rates.values())


def _apply_discounts(
    lines: Sequence[MathLine], discounts: Sequence[MathDiscount]
) -> tuple[list[int], list[list[tuple[str, int]]], list[tuple[str, int]]]:
    """Each line's net after the discounts, each line's discount amounts, each discount's total."""
    net = [line.amount for line in lines]
    line_discounts: list[list[tuple[str, int]]] = [[] for _ in lines]
    totals: list[tuple[str, int]] = []
    for discount in discounts:
        scope = [
            i
            for i, line in enumerate(lines)
            if line.discountable and (discount.line_keys is None or line.key in discount.line_keys)
        ]
        ratio, amount = _discount_ratio(discount, sum(net[i] for i in scope))
        for i, part in zip(scope, apportion(amount, [net[i] * ratio for i in scope]), strict=True):
            net[i] -= part
            line_discounts[i].append((discount.id, part))
        totals.append((discount.id, amount))
    return net, line_discounts, totals


def _discount_ratio(discount: MathDiscount, base: int) -> tuple[Fraction, int]:
    """The share of each line's net the discount takes, and the discount's amount on ``base``."""
    if discount.percent_off is not None:
        ratio = Fraction(discount.percent_off) / 100
        return ratio, round_fraction(base * ratio, _DISCOUNT_ROUNDING)
    amount = min(discount.amount_off or 0, max(base, 0))
    return (Fraction(amount, base) if amount else Fraction(0)), amount


def _taxes_by_rate(
    lines: Sequence[MathLine], amounts: Sequence[int], rates: Sequence[MathTaxRate], rounding: str
) -> dict[str, dict[int, int]]:
    """For each rate, its tax on each line index carrying it (rounded once per rate, then shared)."""
    pretax: list[int | Fraction] = []
    for line, amount in zip(lines, amounts, strict=True):
        included = [rate.percentage for rate in line.tax_rates if rate.inclusive]
        pretax.append(pretax_value(amount, included) if included else amount)
    rate_ids = [{rate.id for rate in line.tax_rates} for line in lines]
    taxes: dict[str, dict[int, int]] = {}
    for rate in rates:
        members = [i for i, ids in enumerate(rate_ids) if rate.id in ids]
        factor = Fraction(rate.percentage) / 100
        exact = [pretax[i] * factor for i in members]
        amount = round_fraction(sum(exact, Fraction(0)), rounding)
        taxes[rate.id] = dict(zip(members, apportion(amount, exact), strict=True))
    return taxes
