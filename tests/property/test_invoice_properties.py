"""Random invoices (JPY and USD, inclusive and exclusive rates, coupons, balances) keep every invariant.

Expected values are recomputed here from the definitions with ``Decimal`` at high precision, not
with the code under test.
"""

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal, localcontext
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from seikyu.core.invoice_math import InvoiceMath, MathDiscount, MathLine, MathTaxRate, compute_invoice

DECIMAL_MODES = {"down": ROUND_DOWN, "up": ROUND_UP, "half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}
RATES = [
    MathTaxRate("txr_jp10", Decimal("10"), False),
    MathTaxRate("txr_jp8", Decimal("8"), False),
    MathTaxRate("txr_jp10_incl", Decimal("10"), True),
    MathTaxRate("txr_jp8_incl", Decimal("8"), True),
    MathTaxRate("txr_ny", Decimal("8.875"), False),
    MathTaxRate("txr_state_incl", Decimal("7.25"), True),
    MathTaxRate("txr_vat", Decimal("20"), False),
]
# Largest line amount in minor units: ¥1,000,000 or $100,000.00.
LIMITS = {"jpy": 1_000_000, "usd": 10_000_000}


@dataclass
class Case:
    lines: list[MathLine]
    discounts: list[MathDiscount]
    rounding: str
    starting_balance: int


@st.composite
def cases(draw: st.DrawFn, one_inclusive_rate_per_line: bool) -> Case:
    limit = LIMITS[draw(st.sampled_from(list(LIMITS)))]
    rates = draw(st.lists(st.sampled_from(RATES), min_size=1, max_size=3, unique_by=lambda rate: rate.id))
    exclusive = [rate for rate in rates if not rate.inclusive]
    inclusive = [rate for rate in rates if rate.inclusive]
    lines = []
    for index in range(draw(st.integers(min_value=1, max_value=6))):
        if one_inclusive_rate_per_line:
            # A line holds exclusive rates, or one inclusive rate (what Stripe and Japan use).
            options = [tuple(exclusive)] + [(rate,) for rate in inclusive]
            line_rates = draw(st.sampled_from(options))
            if line_rates and not line_rates[0].inclusive:
                line_rates = tuple(draw(st.lists(st.sampled_from(exclusive), unique=True)))
        else:
            line_rates = tuple(draw(st.lists(st.sampled_from(rates), unique=True)))
        # Mostly charges; some credits, as proration invoices carry.
        amount = draw(st.integers(min_value=-limit // 4, max_value=limit) | st.integers(min_value=0, max_value=limit))
        lines.append(MathLine(f"line{index}", amount, draw(st.booleans()), line_rates))
    keys = [line.key for line in lines]
    discounts = []
    for index in range(draw(st.integers(min_value=0, max_value=2))):
        scope = draw(st.none() | st.frozensets(st.sampled_from(keys)))
        if draw(st.booleans()):
            value = draw(st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2))
            discounts.append(MathDiscount(f"di_{index}", value, None, scope))
        else:
            discounts.append(MathDiscount(f"di_{index}", None, draw(st.integers(min_value=0, max_value=limit)), scope))
    return Case(
        lines=lines,
        discounts=discounts,
        rounding=draw(st.sampled_from(list(DECIMAL_MODES))),
        starting_balance=draw(st.integers(min_value=-2 * limit, max_value=limit)),
    )


def rounded(value: Fraction | Decimal, mode: str) -> int:
    with localcontext() as context:
        context.prec = 60
        decimal = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction) else value
        return int(decimal.quantize(Decimal(1), rounding=DECIMAL_MODES[mode]))


def compute(case: Case) -> InvoiceMath:
    return compute_invoice(case.lines, case.discounts, rounding=case.rounding, starting_balance=case.starting_balance)


def check_discounts(case: Case, result: InvoiceMath) -> list[int]:
    """Discounts follow their definition; returns each line's net."""
    remaining = [line.amount for line in case.lines]
    for position, discount in enumerate(case.discounts):
        scope = [
            i
            for i, line in enumerate(case.lines)
            if line.discountable and (discount.line_keys is None or line.key in discount.line_keys)
        ]
        base = sum(remaining[i] for i in scope)
        if discount.percent_off is not None:
            expected = rounded(Decimal(base) * discount.percent_off / 100, "half_up")
        else:
            assert discount.amount_off is not None
            expected = min(discount.amount_off, max(base, 0))
        assert result.total_discount_amounts[position] == (discount.id, expected)
        parts = {}
        for i, math_line in enumerate(result.lines):
            found = [amount for discount_id, amount in math_line.discount_amounts if discount_id == discount.id]
            assert len(found) == (1 if i in scope else 0)
            if found:
                parts[i] = found[0]
        assert sum(parts.values()) == expected
        for i, part in parts.items():
            # A discount never takes a line past zero, and never turns a charge into a credit.
            assert min(remaining[i], 0) <= part <= max(remaining[i], 0)
            remaining[i] -= part
    for net, math_line in zip(remaining, result.lines, strict=True):
        assert math_line.net_amount == net
    return remaining


def check_totals(case: Case, result: InvoiceMath) -> None:
    assert result.subtotal == sum(line.amount for line in case.lines)
    discount_total = sum(amount for _, amount in result.total_discount_amounts)
    exclusive = sum(rate.amount for rate in result.total_taxes if not rate.inclusive)
    inclusive = sum(rate.amount for rate in result.total_taxes if rate.inclusive)
    assert result.total == result.subtotal - discount_total + exclusive
    assert result.total_excluding_tax == result.total - exclusive - inclusive
    for rate in result.total_taxes:
        line_taxes = [tax for line in result.lines for tax in line.taxes if tax.rate_id == rate.rate_id]
        assert sum(tax.amount for tax in line_taxes) == rate.amount
        assert sum(tax.taxable_amount for tax in line_taxes) == rate.taxable_amount
    for line in result.lines:
        included = sum(tax.amount for tax in line.taxes if tax.inclusive)
        assert all(tax.taxable_amount == line.net_amount - included for tax in line.taxes)
    if all(line.net_amount == line.amount for line in result.lines):
        assert result.subtotal_excluding_tax == result.total_excluding_tax
    # The balance: nothing negative is ever due, and the customer's balance moves by exactly
    # what the invoice did not collect.
    assert result.amount_due >= 0
    assert result.ending_balance <= 0
    assert result.amount_due == result.total - result.applied_balance
    assert result.ending_balance == result.starting_balance + result.applied_balance
    assert result.amount_due == 0 or result.ending_balance == 0
    if result.starting_balance <= 0 and result.total >= 0:
        # A credit lowers what is due but is never used beyond the total.
        assert result.amount_due == max(result.total + result.starting_balance, 0)


@settings(max_examples=400, deadline=None)
@given(cases(one_inclusive_rate_per_line=True))
def test_each_rate_is_one_rounding_of_its_base(case: Case) -> None:
    result = compute(case)
    net = check_discounts(case, result)
    check_totals(case, result)
    undiscounted_inclusive_tax = 0
    for rate in result.total_taxes:
        tax_rate = next(r for r in RATES if r.id == rate.rate_id)
        members = [i for i, line in enumerate(case.lines) if tax_rate in line.tax_rates]
        base = sum(net[i] for i in members)
        denominator = 100 + tax_rate.percentage if tax_rate.inclusive else Decimal(100)
        assert rate.amount == rounded(Decimal(base) * tax_rate.percentage / denominator, case.rounding)
        assert rate.taxable_amount == (base - rate.amount if tax_rate.inclusive else base)
        if tax_rate.inclusive:
            gross = sum(case.lines[i].amount for i in members)
            undiscounted_inclusive_tax += rounded(Decimal(gross) * tax_rate.percentage / denominator, case.rounding)
    assert result.subtotal_excluding_tax == result.subtotal - undiscounted_inclusive_tax


@settings(max_examples=200, deadline=None)
@given(cases(one_inclusive_rate_per_line=False))
def test_any_mix_of_rates_keeps_the_invariants(case: Case) -> None:
    result = compute(case)
    net = check_discounts(case, result)
    check_totals(case, result)
    pretax = [Fraction(net[i]) * 100 / (100 + inclusive_percent(line)) for i, line in enumerate(case.lines)]
    for rate in result.total_taxes:
        tax_rate = next(r for r in RATES if r.id == rate.rate_id)
        exact_tax = sum(
            (
                pretax[i] * Fraction(tax_rate.percentage) / 100
                for i, line in enumerate(case.lines)
                if tax_rate in line.tax_rates
            ),
            Fraction(0),
        )
        assert rate.amount == rounded(exact_tax, case.rounding)
    for i, line in enumerate(case.lines):
        included = sum(tax.amount for tax in result.lines[i].taxes if tax.inclusive)
        inclusive_count = sum(1 for rate in line.tax_rates if rate.inclusive)
        if inclusive_count <= 1:
            # One inclusive rate's share of a line never exceeds what the line holds.
            assert min(net[i], 0) <= included <= max(net[i], 0)
        else:
            # Several inclusive rates each round their share down or up, so together they may
            # differ from the exact tax held by up to one unit per rate.
            assert abs(included - (net[i] - pretax[i])) < inclusive_count


def inclusive_percent(line: MathLine) -> Fraction:
    return sum((Fraction(rate.percentage) for rate in line.tax_rates if rate.inclusive), Fraction(0))
