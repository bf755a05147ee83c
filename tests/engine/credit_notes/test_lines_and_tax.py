"""Credit note lines (by invoice line quantity or amount, custom lines), their discounts, and tax
rounded once per rate per credit note; bad lines are refused with the offending param."""

from __future__ import annotations

from typing import Any

import pytest

from seikyu.billing.models import CreditNote, Invoice
from seikyu.billing.services.credit_notes import create_credit_note
from seikyu.billing.services.invoice_items import create_invoice_item
from seikyu.billing.services.invoices import create_manual_invoice, finalize_invoice, void_invoice
from seikyu.billing.services.settings import get_billing_settings
from seikyu.core.errors import InvalidRequest, ResourceMissing


def _custom(unit_amount: int, rate_ids: list[str], quantity: int = 1, description: str = "返品") -> dict[str, Any]:
    return {
        "type": "custom_line_item",
        "unit_amount": unit_amount,
        "quantity": quantity,
        "tax_rates": rate_ids,
        "description": description,
    }


def _taxes_by_rate(note: CreditNote) -> dict[str, tuple[int, int]]:
    return {t["tax_rate_details"]["tax_rate"]: (t["taxable_amount"], t["amount"]) for t in note.total_taxes}


@pytest.mark.parametrize(("rounding", "standard_tax", "reduced_tax"), [("down", 4, 3), ("half_up", 5, 3)])
def test_tax_is_rounded_once_per_rate(make_customer, rates, open_invoice, rounding, standard_tax, reduced_tax):
    settings = get_billing_settings(False)
    settings.tax_rounding = rounding
    settings.save()
    invoice = open_invoice(make_customer(), [(10000, [rates.standard.id])])
    # Three ¥15 lines at 10 % (¥4.5 of tax) and two ¥19 lines at 8 % (¥3.04): rounding each line
    # would give ¥3 (or ¥6) and ¥2.
    lines = [_custom(15, [rates.standard.id])] * 3 + [_custom(19, [rates.reduced.id])] * 2

    note = create_credit_note({"invoice": invoice.id, "lines": lines}, livemode=False)

    assert _taxes_by_rate(note) == {rates.standard.id: (45, standard_tax), rates.reduced.id: (38, reduced_tax)}
    assert (note.subtotal, note.total_excluding_tax, note.total) == (83, 83, 83 + standard_tax + reduced_tax)
    # Line taxes share each rate's total exactly.
    for rate_id, (_, amount) in _taxes_by_rate(note).items():
        shares = [
            t["amount"] for line in note.lines.all() for t in line.taxes if t["tax_rate_details"]["tax_rate"] == rate_id
        ]
        assert sum(shares) == amount


def test_custom_lines_keep_their_description_quantity_and_rates(make_customer, rates, open_invoice):
    invoice = open_invoice(make_customer(), [(10000, [rates.standard.id])])
    note = create_credit_note(
        {
            "invoice": invoice.id,
            "lines": [
                _custom(300, [rates.standard.id], quantity=2, description="値引き"),
                {"type": "custom_line_item", "unit_amount_decimal": "250", "metadata": {"ticket": "T-1"}},
            ],
        },
        livemode=False,
    )
    first, second = note.lines.order_by("position")
    assert (first.type, first.description, first.quantity, first.unit_amount, first.amount, first.tax_rates) == (
        "custom_line_item",
        "値引き",
        2,
        300,
        600,
        [rates.standard.id],
    )
    assert (second.amount, second.tax_rates, second.taxes, second.metadata) == (250, [], [], {"ticket": "T-1"})
    assert (note.subtotal, note.total) == (850, 910)


def test_a_tax_inclusive_line_gives_back_the_tax_it_holds(make_customer, rates, open_invoice):
    invoice = open_invoice(make_customer(), [(11000, [rates.standard_inclusive.id])])
    note = create_credit_note(
        {"invoice": invoice.id, "lines": [_custom(1100, [rates.standard_inclusive.id])]}, livemode=False
    )
    assert (note.subtotal, note.total, note.total_excluding_tax, note.subtotal_excluding_tax) == (
        1100,
        1100,
        1000,
        1000,
    )
    assert note.total_taxes[0]["tax_behavior"] == "inclusive"
    assert _taxes_by_rate(note) == {rates.standard_inclusive.id: (1000, 100)}


def _discounted_invoice(customer: Any, rates: Any, coupon: Any) -> Invoice:
    for amount in (1000, 2000):
        create_invoice_item(
            {"customer": customer.id, "amount": amount, "currency": "jpy", "tax_rates": [rates.standard.id]},
            livemode=False,
        )
    off = coupon(amount_off=100, currency="jpy")
    return finalize_invoice(
        create_manual_invoice({"customer": customer.id, "discounts": [{"coupon": off.id}]}, livemode=False)
    )


def test_discounts_are_credited_in_proportion_and_exactly_in_the_end(make_customer, rates, coupon):
    invoice = _discounted_invoice(make_customer(), rates, coupon)
    first = invoice.lines.order_by("position")[0]
    [line_discount] = first.discount_amounts
    assert (first.amount, line_discount["amount"]) == (1000, 33)

    notes = [
        create_credit_note(
            {
                "invoice": invoice.id,
                "lines": [{"type": "invoice_line_item", "invoice_line_item": first.id, "amount": part}],
            },
            livemode=False,
        )
        for part in (333, 333, 334)
    ]

    shares = [note.discount_amount for note in notes]
    assert shares == [11, 11, 11]
    assert all(note.discount_amounts == [{"amount": 11, "discount": line_discount["discount"]}] for note in notes)
    # Each piece is taxed on its discounted amount: ¥322, ¥322 and ¥323 at 10 %, rounded down.
    assert [(n.subtotal, n.total_excluding_tax, n.total) for n in notes] == [
        (333, 322, 354),
        (333, 322, 354),
        (334, 323, 355),
    ]
    [line] = notes[0].lines.all()
    assert (line.discount_amount, line.discount_amounts) == (
        11,
        [{"amount": 11, "discount": line_discount["discount"]}],
    )


def test_crediting_a_discounted_invoice_whole_matches_it(make_customer, rates, coupon):
    invoice = _discounted_invoice(make_customer(), rates, coupon)
    lines = [{"type": "invoice_line_item", "invoice_line_item": li.id} for li in invoice.lines.order_by("position")]
    note = create_credit_note({"invoice": invoice.id, "lines": lines}, livemode=False)
    assert note.discount_amounts == invoice.total_discount_amounts
    assert (note.subtotal, note.discount_amount, note.total, note.total_taxes) == (
        invoice.subtotal,
        100,
        invoice.total,
        invoice.total_taxes,
    )


def test_a_line_is_credited_once_across_notes(make_customer, rates, open_invoice):
    invoice = open_invoice(make_customer(), [(1000, [rates.standard.id])], quantities=[4])
    line = invoice.lines.get()
    by_quantity = {"type": "invoice_line_item", "invoice_line_item": line.id, "quantity": 3}
    create_credit_note({"invoice": invoice.id, "lines": [by_quantity]}, livemode=False)
    with pytest.raises(InvalidRequest) as error:
        create_credit_note({"invoice": invoice.id, "lines": [by_quantity]}, livemode=False)
    assert error.value.param == "lines[0][quantity]"
    # What is left of the line is credited when neither quantity nor amount is given.
    rest = create_credit_note(
        {"invoice": invoice.id, "lines": [{"type": "invoice_line_item", "invoice_line_item": line.id}]}, livemode=False
    )
    assert (rest.subtotal, rest.total) == (1000, 1100)
    assert rest.lines.get().quantity is None


def _params(invoice: Invoice, **extra: Any) -> dict[str, Any]:
    return {"invoice": invoice.id, **extra}


def _line(invoice: Invoice, **extra: Any) -> dict[str, Any]:
    return {"type": "invoice_line_item", "invoice_line_item": invoice.lines.order_by("position")[0].id, **extra}


BAD_REQUESTS = [
    (lambda inv, r: {"lines": [_line(inv, amount=2001)]}, InvalidRequest, "lines[0][amount]"),
    (lambda inv, r: {"lines": [_line(inv, quantity=3)]}, InvalidRequest, "lines[0][quantity]"),
    (lambda inv, r: {"lines": [_line(inv, quantity=1, amount=5)]}, InvalidRequest, "lines[0][amount]"),
    (lambda inv, r: {"lines": [_line(inv, description="x")]}, InvalidRequest, "lines[0][description]"),
    (lambda inv, r: {"lines": [_line(inv, tax_rates=[r.reduced.id])]}, InvalidRequest, "lines[0][tax_rates]"),
    (lambda inv, r: {"lines": [_line(inv, amount=1200), _line(inv, amount=1200)]}, InvalidRequest, "lines[1][amount]"),
    (
        lambda inv, r: {"lines": [{"type": "invoice_line_item", "invoice_line_item": "il_nope"}]},
        ResourceMissing,
        "lines[0][invoice_line_item]",
    ),
    (lambda inv, r: {"lines": [{"type": "invoice_line_item"}]}, InvalidRequest, "lines[0][invoice_line_item]"),
    (lambda inv, r: {"lines": [{"type": "custom_line_item", "quantity": 2}]}, InvalidRequest, "lines[0][unit_amount]"),
    (
        lambda inv, r: {"lines": [{"type": "custom_line_item", "unit_amount": 5, "amount": 5}]},
        InvalidRequest,
        "lines[0][amount]",
    ),
    (
        lambda inv, r: {"lines": [{"type": "custom_line_item", "unit_amount": 5, "tax_rates": ["txr_nope"]}]},
        ResourceMissing,
        "lines[0][tax_rates][0]",
    ),
    (lambda inv, r: {"lines": [{"type": "shipping"}]}, InvalidRequest, "lines[0][type]"),
    (lambda inv, r: {"lines": [_custom(2201, [])]}, InvalidRequest, "lines"),
    (lambda inv, r: {"amount": 2201}, InvalidRequest, "amount"),
    (lambda inv, r: {"amount": 500, "lines": [_line(inv, amount=400)]}, InvalidRequest, "amount"),
    (lambda inv, r: {"amount": 0}, InvalidRequest, "amount"),
    (lambda inv, r: {}, InvalidRequest, "lines"),
    (lambda inv, r: {"amount": 5, "reason": "bored"}, InvalidRequest, "reason"),
    (lambda inv, r: {"amount": 5, "out_of_band_amount": -1}, InvalidRequest, "out_of_band_amount"),
]


@pytest.mark.parametrize(("request_for", "error_class", "param"), BAD_REQUESTS)
def test_bad_requests_name_their_param_and_change_nothing(
    make_customer, rates, open_invoice, request_for, error_class, param
):
    # ¥1,000 × 2 at 10 %: ¥2,200.
    invoice = open_invoice(make_customer(), [(1000, [rates.standard.id])], quantities=[2])
    with pytest.raises(error_class) as error:
        create_credit_note(_params(invoice, **request_for(invoice, rates)), livemode=False)
    assert error.value.param == param
    invoice.refresh_from_db()
    assert (CreditNote.objects.count(), invoice.amount_remaining) == (0, 2200)


def test_only_finalized_invoices_of_the_mode_can_be_credited(make_customer, rates, open_invoice):
    customer = make_customer()
    create_invoice_item({"customer": customer.id, "amount": 1000, "currency": "jpy"}, livemode=False)
    draft = create_manual_invoice({"customer": customer.id}, livemode=False)
    with pytest.raises(InvalidRequest) as error:
        create_credit_note({"invoice": draft.id, "amount": 100}, livemode=False)
    assert (error.value.param, error.value.code) == ("invoice", "invoice_not_finalized")

    voided = void_invoice(open_invoice(customer, [(1000, [])]))
    with pytest.raises(InvalidRequest) as error:
        create_credit_note({"invoice": voided.id, "amount": 100}, livemode=False)
    assert (error.value.param, error.value.code) == ("invoice", "invoice_unexpected_state")

    with pytest.raises(ResourceMissing) as missing:
        create_credit_note({"invoice": voided.id, "amount": 100}, livemode=True)
    assert missing.value.param == "invoice"
    with pytest.raises(InvalidRequest) as error:
        create_credit_note({"amount": 100}, livemode=False)
    assert (error.value.param, error.value.code) == ("invoice", "parameter_missing")
