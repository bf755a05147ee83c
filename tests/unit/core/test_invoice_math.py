"""Invoice totals, checked against amounts worked out by hand from the rules."""

from collections.abc import Sequence
from decimal import Decimal

import pytest

from seikyu.core.invoice_math import (
    InvoiceMath,
    LineTax,
    MathDiscount,
    MathLine,
    MathTaxRate,
    RateTotal,
    compute_invoice,
)

JP10 = MathTaxRate("txr_jp10", Decimal("10"), inclusive=False)
JP8 = MathTaxRate("txr_jp8", Decimal("8"), inclusive=False)
JP10_INCL = MathTaxRate("txr_jp10_incl", Decimal("10"), inclusive=True)
NY = MathTaxRate("txr_ny", Decimal("8.875"), inclusive=False)


def line(key: str, amount: int, *rates: MathTaxRate, discountable: bool = True) -> MathLine:
    return MathLine(key, amount, discountable, rates)


def percent(discount_id: str, value: str, keys: frozenset[str] | None = None) -> MathDiscount:
    return MathDiscount(discount_id, Decimal(value), None, keys)


def amount_off(discount_id: str, value: int) -> MathDiscount:
    return MathDiscount(discount_id, None, value)


def invoice(
    lines: list[MathLine], discounts: Sequence[MathDiscount] = (), rounding: str = "down", starting_balance: int = 0
) -> InvoiceMath:
    return compute_invoice(lines, discounts, rounding=rounding, starting_balance=starting_balance)


def line_taxes(result: InvoiceMath) -> list[int]:
    return [tax.amount for math_line in result.lines for tax in math_line.taxes]


def test_three_yen_lines_at_ten_percent() -> None:
    result = invoice([line(k, 1000, JP10) for k in "abc"])
    assert result.subtotal == 3000
    assert result.total_taxes == [RateTotal("txr_jp10", 3000, 300, False)]
    assert line_taxes(result) == [100, 100, 100]
    assert (result.total, result.total_excluding_tax, result.amount_due) == (3300, 3000, 3300)


def test_tax_is_rounded_once_per_rate_not_per_line() -> None:
    # 3 × ¥105 at 10 %: per line 10.5 → 10 each (¥30); once on ¥315: 31.5 → ¥31.
    result = invoice([line(k, 105, JP10) for k in "abc"])
    assert result.total_taxes[0].amount == 31
    assert line_taxes(result) == [11, 10, 10]
    assert result.total == 346
    # Inclusive: 3 × ¥150 holding 10 %: per line 13.63 → 13 each (¥39); once on ¥450: 40.9 → ¥40.
    inclusive = invoice([line(k, 150, JP10_INCL) for k in "abc"])
    assert inclusive.total_taxes == [RateTotal("txr_jp10_incl", 410, 40, True)]
    assert (inclusive.total, inclusive.total_excluding_tax, inclusive.subtotal_excluding_tax) == (450, 410, 410)


def test_reduced_and_standard_rates_side_by_side() -> None:
    # Food at 8 % and other goods at 10 %, as on a Japanese qualified invoice.
    result = invoice([line("food", 1280, JP8), line("goods", 2345, JP10), line("more", 999, JP10)])
    assert result.total_taxes == [RateTotal("txr_jp8", 1280, 102, False), RateTotal("txr_jp10", 3344, 334, False)]
    assert (result.subtotal, result.total, result.total_excluding_tax) == (4624, 5060, 4624)
    assert sum(line_taxes(result)) == 436


@pytest.mark.parametrize(("mode", "tax"), [("down", 34), ("up", 35), ("half_up", 35), ("half_even", 34)])
def test_rounding_mode_applies_to_the_rate_total(mode: str, tax: int) -> None:
    # 3 × ¥115 at 10 % = 34.5 exactly.
    result = invoice([line(k, 115, JP10) for k in "abc"], rounding=mode)
    assert result.total_taxes[0].amount == tax
    assert sum(line_taxes(result)) == tax


def test_inclusive_price() -> None:
    result = invoice([line("plan", 5500, JP10_INCL)])
    assert result.total_taxes == [RateTotal("txr_jp10_incl", 5000, 500, True)]
    assert result.lines[0].taxes == [LineTax("txr_jp10_incl", 5000, 500, True)]
    assert (result.total, result.total_excluding_tax, result.subtotal_excluding_tax) == (5500, 5000, 5000)


def test_percent_discount_on_inclusive_price() -> None:
    # 10 % off ¥5,500 incl. tax: ¥550 off, ¥4,950 holds 4950 × 10/110 = ¥450 tax.
    result = invoice([line("plan", 5500, JP10_INCL)], [percent("di_a", "10")])
    assert result.total_discount_amounts == [("di_a", 550)]
    assert result.lines[0].discount_amounts == [("di_a", 550)]
    assert result.lines[0].net_amount == 4950
    assert result.total_taxes == [RateTotal("txr_jp10_incl", 4500, 450, True)]
    assert (result.total, result.total_excluding_tax) == (4950, 4500)
    # Before discounts the subtotal held ¥500 of tax.
    assert result.subtotal_excluding_tax == 5000


def test_usd_sales_tax_shared_back_by_largest_remainder() -> None:
    # $19.99 + $5.01 at 8.875 %: 177.41125 + 44.46375 = 221.875 cents → 222 half up.
    result = invoice([line("a", 1999, NY), line("b", 501, NY)], rounding="half_up")
    assert result.total_taxes[0].amount == 222
    assert line_taxes(result) == [177, 45]
    assert result.total == 2722


def test_amount_off_is_capped_and_skips_non_discountable_lines() -> None:
    lines = [line("a", 300, JP10), line("b", 700, JP10), line("fee", 500, JP10, discountable=False)]
    result = invoice(lines, [amount_off("di_big", 2000)])
    assert result.total_discount_amounts == [("di_big", 1000)]
    assert [math_line.net_amount for math_line in result.lines] == [0, 0, 500]
    assert result.lines[2].discount_amounts == []
    assert result.total_taxes[0].amount == 50
    assert result.total == 550


def test_amount_off_spread_by_largest_remainder() -> None:
    result = invoice([line("a", 333), line("b", 333), line("c", 334)], [amount_off("di_100", 100)])
    assert [math_line.discount_amounts for math_line in result.lines] == [
        [("di_100", 33)],
        [("di_100", 33)],
        [("di_100", 34)],
    ]
    assert result.total == 900


def test_discounts_stack_in_order() -> None:
    result = invoice([line("a", 10000)], [percent("di_20", "20"), amount_off("di_500", 500)])
    assert result.total_discount_amounts == [("di_20", 2000), ("di_500", 500)]
    assert result.total == 7500
    reversed_order = invoice([line("a", 10000)], [amount_off("di_500", 500), percent("di_20", "20")])
    assert reversed_order.total_discount_amounts == [("di_500", 500), ("di_20", 1900)]
    assert reversed_order.total == 7600


def test_discount_limited_to_some_lines() -> None:
    result = invoice([line("sub", 1000), line("other", 1000)], [percent("di_sub", "50", frozenset({"sub"}))])
    assert [math_line.discount_amounts for math_line in result.lines] == [[("di_sub", 500)], []]
    assert result.total == 1500


def test_percent_discount_applies_to_proration_credits_too() -> None:
    # Half a month left, ¥1,000 → ¥2,000 with 50 % off forever: the customer paid ¥500 and now
    # owes ¥1,000 for the rest, so the change costs (1000 − 500) × 50 % = ¥250.
    result = invoice([line("unused", -500), line("remaining", 1000)], [percent("di_half", "50")])
    assert [math_line.discount_amounts for math_line in result.lines] == [[("di_half", -250)], [("di_half", 500)]]
    assert result.total_discount_amounts == [("di_half", 250)]
    assert result.total == 250


def test_amount_off_never_grows_a_credit() -> None:
    result = invoice([line("unused", -800)], [amount_off("di_300", 300)])
    assert result.total_discount_amounts == [("di_300", 0)]
    assert result.total == -800


def test_credit_only_invoice_goes_to_the_balance() -> None:
    result = invoice([line("unused", -3000, JP10), line("remaining", 1000, JP10)])
    assert result.total_taxes == [RateTotal("txr_jp10", -2000, -200, False)]
    assert line_taxes(result) == [-300, 100]
    assert result.total == -2200
    assert (result.amount_due, result.ending_balance, result.applied_balance) == (0, -2200, -2200)


@pytest.mark.parametrize(
    ("starting", "due", "ending", "applied"),
    [
        (0, 3300, 0, 0),
        (-1000, 2300, 0, 1000),  # credit lowers what is due
        (-3300, 0, 0, 3300),
        (-5000, 0, -1700, 3300),  # never below zero; the rest stays credit
        (200, 3500, 0, -200),  # a debit is collected with the invoice
    ],
)
def test_starting_balance(starting: int, due: int, ending: int, applied: int) -> None:
    result = invoice([line(k, 1000, JP10) for k in "abc"], starting_balance=starting)
    assert (result.amount_due, result.ending_balance, result.applied_balance) == (due, ending, applied)
    assert result.starting_balance == starting
    assert result.amount_due == result.total - result.applied_balance


def test_several_inclusive_rates_on_one_line() -> None:
    gst = MathTaxRate("txr_gst", Decimal("5"), inclusive=True)
    pst = MathTaxRate("txr_pst", Decimal("10"), inclusive=True)
    result = invoice([line("a", 1150, gst, pst)])
    assert result.total_taxes == [RateTotal("txr_gst", 1000, 50, True), RateTotal("txr_pst", 1000, 100, True)]
    assert (result.total, result.total_excluding_tax) == (1150, 1000)


def test_exclusive_rate_on_an_inclusive_price_taxes_the_pretax_value() -> None:
    extra = MathTaxRate("txr_extra", Decimal("5"), inclusive=False)
    result = invoice([line("a", 1100, JP10_INCL, extra)])
    assert result.lines[0].taxes == [LineTax("txr_jp10_incl", 1000, 100, True), LineTax("txr_extra", 1000, 50, False)]
    assert (result.total, result.total_excluding_tax) == (1150, 1000)


def test_lines_without_tax_and_an_empty_invoice() -> None:
    result = invoice([line("a", 1234)])
    assert (result.total_taxes, result.total, result.lines[0].taxes) == ([], 1234, [])
    empty = invoice([])
    assert (empty.subtotal, empty.total, empty.amount_due, empty.lines) == (0, 0, 0, [])


def test_line_lookup_by_key() -> None:
    result = invoice([line("a", 1), line("b", 2)])
    assert result.line("b").amount == 2
    with pytest.raises(KeyError):
        result.line("c")


@pytest.mark.parametrize(
    ("lines", "discounts", "rounding"),
    [
        ([line("a", 1), line("a", 2)], [], "down"),
        ([line("a", 1, JP10, JP10)], [], "down"),
        ([line("a", 1, JP10), line("b", 1, MathTaxRate("txr_jp10", Decimal("8"), False))], [], "down"),
        ([line("a", 1, MathTaxRate("neg", Decimal("-1"), False))], [], "down"),
        ([line("a", 1)], [MathDiscount("d", None, None)], "down"),
        ([line("a", 1)], [MathDiscount("d", Decimal("10"), 5)], "down"),
        ([line("a", 1)], [percent("d", "101")], "down"),
        ([line("a", 1)], [amount_off("d", -1)], "down"),
        ([line("a", 1)], [amount_off("d", 1), amount_off("d", 2)], "down"),
        ([line("a", 1)], [], "nearest"),
    ],
)
def test_inconsistent_input_is_refused(lines: list[MathLine], discounts: list[MathDiscount], rounding: str) -> None:
    with pytest.raises(ValueError):
        compute_invoice(lines, discounts, rounding=rounding)
