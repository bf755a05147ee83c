"""Invoice amounts: tax once per rate per invoice, inclusive and exclusive rates, discounts, balances."""

from __future__ import annotations

import pytest

from seikyu.billing.models import Customer, InvoiceLineItem
from seikyu.billing.services.catalog import create_tax_rate
from seikyu.billing.services.invoice_items import create_invoice_item
from seikyu.billing.services.invoices import create_manual_invoice, finalize_invoice, update_invoice
from seikyu.billing.services.settings import get_billing_settings


def _taxes(invoice) -> list[tuple[str, int, int, str]]:
    """(rate, taxable, tax, behaviour) per rate; sorted, as items made in the same instant have no order."""
    return sorted(
        (t["tax_rate_details"]["tax_rate"], t["taxable_amount"], t["amount"], t["tax_behavior"])
        for t in invoice.total_taxes
    )


def test_ten_percent_exclusive_is_rounded_once_per_invoice_not_per_line(customer, rates, make_invoice):
    # Per line, 10 % of ¥105 is ¥10.5 → ¥10 three times (¥30); once on the invoice it is ¥31.5 → ¥31.
    invoice = make_invoice(customer, [(105, [rates.standard.id])] * 3)
    assert (invoice.subtotal, invoice.total, invoice.total_excluding_tax) == (315, 346, 315)
    assert _taxes(invoice) == [(rates.standard.id, 315, 31, "exclusive")]
    lines = InvoiceLineItem.objects.filter(invoice=invoice).order_by("position")
    assert sum(line.taxes[0]["amount"] for line in lines) == 31
    assert invoice.amount_due == invoice.amount_remaining == 346


def test_rounding_mode_comes_from_the_account_settings(customer, rates, make_invoice):
    settings = get_billing_settings(False)
    settings.tax_rounding = "half_up"
    settings.save()
    invoice = make_invoice(customer, [(105, [rates.standard.id])] * 3)
    assert _taxes(invoice)[0][2] == 32  # ¥31.5 rounds half up


def test_inclusive_rate_keeps_the_total_and_extracts_the_tax(customer, rates, make_invoice):
    # ¥1,000 including 10 %: tax = 1000 × 10/110 = 90.9… → ¥90 (rounded down), net ¥910.
    invoice = make_invoice(customer, [(1000, [rates.standard_inclusive.id])])
    assert (invoice.subtotal, invoice.total) == (1000, 1000)
    assert (invoice.total_excluding_tax, invoice.subtotal_excluding_tax) == (910, 910)
    assert _taxes(invoice) == [(rates.standard_inclusive.id, 910, 90, "inclusive")]


def test_eight_and_ten_percent_with_a_percent_coupon(customer, rates, make_invoice, coupon):
    fifteen = coupon(percent_off=15)
    invoice = make_invoice(
        customer,
        [(3333, [rates.standard.id]), (1111, [rates.reduced.id])],
        discounts=[{"coupon": fifteen.id}],
    )
    # Discount: 15 % of ¥4,444 = ¥666.6 → ¥667, shared ¥500 / ¥167 (largest remainder).
    # 10 %: (3333 − 500) × 0.10 = 283.3 → ¥283.  8 %: (1111 − 167) × 0.08 = 75.52 → ¥75.
    [discount_id] = invoice.discount_ids
    assert invoice.total_discount_amounts == [{"amount": 667, "discount": discount_id}]
    lines = InvoiceLineItem.objects.filter(invoice=invoice)
    assert sorted((line.amount, line.discount_amounts[0]["amount"]) for line in lines) == [(1111, 167), (3333, 500)]
    assert _taxes(invoice) == sorted(
        [(rates.standard.id, 2833, 283, "exclusive"), (rates.reduced.id, 944, 75, "exclusive")]
    )
    assert invoice.subtotal == 4444
    assert invoice.total == 4444 - 667 + 283 + 75 == 4135
    assert invoice.total_excluding_tax == 3777


def test_default_tax_rates_apply_to_lines_without_their_own(customer, rates, make_invoice):
    invoice = make_invoice(customer, [(1000, []), (500, [rates.reduced.id])], default_tax_rates=[rates.standard.id])
    assert _taxes(invoice) == sorted(
        [(rates.standard.id, 1000, 100, "exclusive"), (rates.reduced.id, 500, 40, "exclusive")]
    )
    # Changing the draft's defaults recomputes it.
    invoice = update_invoice(invoice, {"default_tax_rates": [rates.reduced.id]})
    assert _taxes(invoice) == [(rates.reduced.id, 1500, 120, "exclusive")]
    assert invoice.total == 1620


def test_usd_amounts_are_cents(make_customer):
    sales_tax = create_tax_rate(
        {"display_name": "Sales tax", "percentage": "8.875", "inclusive": False}, livemode=False
    )
    customer = make_customer()
    create_invoice_item(
        {"customer": customer.id, "amount": 1999, "currency": "usd", "tax_rates": [sales_tax.id]}, livemode=False
    )
    invoice = create_manual_invoice({"customer": customer.id}, livemode=False)
    # $19.99 × 8.875 % = 177.41… cents → 177.
    assert (invoice.currency, invoice.subtotal, invoice.total) == ("usd", 1999, 2176)


@pytest.mark.parametrize(
    ("balance", "due", "ending", "status"),
    [
        (-500, 2800, 0, "open"),  # a credit lowers what is due
        (-5000, 0, -1700, "paid"),  # a credit larger than the invoice pays it and carries over
        (700, 4000, 0, "open"),  # a debit is collected with the invoice
    ],
)
def test_customer_balance_is_settled_at_finalization(customer, rates, make_invoice, balance, due, ending, status):
    Customer.objects.filter(id=customer.id).update(balance=balance)
    invoice = make_invoice(customer, [(3000, [rates.standard.id])], collection_method="send_invoice", days_until_due=30)
    assert (invoice.total, invoice.starting_balance, invoice.amount_due, invoice.ending_balance) == (
        3300,
        balance,
        due,
        None,
    )
    invoice = finalize_invoice(invoice)
    assert (invoice.amount_due, invoice.ending_balance, invoice.status) == (due, ending, status)
    customer.refresh_from_db()
    assert customer.balance == ending


def test_a_credit_only_invoice_turns_into_customer_credit(customer, rates, make_invoice):
    invoice = make_invoice(customer, [(-1000, [rates.standard.id])])
    assert (invoice.total, invoice.amount_due) == (-1100, 0)
    invoice = finalize_invoice(invoice)
    assert (invoice.status, invoice.ending_balance) == ("paid", -1100)
    customer.refresh_from_db()
    assert customer.balance == -1100
    # The next invoice uses the credit.
    later = make_invoice(customer, [(2000, [])])
    assert (later.starting_balance, later.amount_due) == (-1100, 900)
