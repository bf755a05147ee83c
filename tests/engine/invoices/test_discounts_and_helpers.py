"""Invoice discounts from coupons, promotion codes and the customer, and the helpers the
subscription engine calls."""

from __future__ import annotations

import pytest

from seikyu.billing.models import Coupon, Discount, InvoiceItem
from seikyu.billing.services.catalog import create_promotion_code
from seikyu.billing.services.customers import update_customer
from seikyu.billing.services.invoice_items import create_pending_items
from seikyu.billing.services.invoices import collect_invoices, finalize_invoice, update_invoice
from seikyu.billing.services.payments import latest_card_error
from seikyu.core.errors import InvalidRequest
from seikyu.core.ids import new_id

from .conftest import NOW


def test_a_customer_discount_applies_to_manual_invoices_and_once_is_spent(customer, make_invoice, coupon):
    once = coupon(percent_off=50)
    update_customer(customer.id, {"coupon": once.id}, livemode=False)
    first = make_invoice(customer, [(1000, [])])
    assert (first.total, len(first.discount_ids)) == (500, 1)
    assert Discount.objects.get(id=first.discount_ids[0]).ended_at == NOW
    second = make_invoice(customer, [(1000, [])])
    assert (second.total, second.discount_ids) == (1000, [])


def test_promotion_codes_and_amount_off(customer, make_invoice, coupon):
    yen = coupon(amount_off=300, currency="jpy")
    promo = create_promotion_code({"promotion": {"type": "coupon", "coupon": yen.id}, "code": "SPRING"}, livemode=False)
    invoice = make_invoice(customer, [(1000, [])], discounts=[{"promotion_code": promo.id}])
    assert invoice.total == 700
    assert Coupon.objects.get(id=yen.id).times_redeemed == 1
    dollars = coupon(amount_off=300, currency="usd")
    with pytest.raises(InvalidRequest, match="is in usd"):
        make_invoice(customer, [(1000, [])], discounts=[{"coupon": dollars.id}])


def test_discounts_on_a_draft_can_be_replaced(customer, make_invoice, coupon):
    invoice = make_invoice(customer, [(1000, [])], discounts=[{"coupon": coupon(percent_off=10).id}])
    assert invoice.total == 900
    update_invoice(invoice, {"discounts": [{"coupon": coupon(percent_off=20).id}]})
    assert invoice.total == 800
    update_invoice(invoice, {"discounts": []})
    assert (invoice.total, invoice.discount_ids) == (1000, [])
    assert not Discount.objects.filter(invoice=invoice).exists()
    finalize_invoice(invoice)


def test_create_pending_items_saves_and_announces(customer, events):
    rows = [
        InvoiceItem(
            id=new_id("ii"),
            created=NOW,
            customer=customer,
            currency="jpy",
            amount=amount,
            period_start=NOW,
            period_end=NOW,
            date=NOW,
            proration=True,
        )
        for amount in (-500, 800)
    ]
    with events.capture():
        create_pending_items(rows)
    assert InvoiceItem.objects.filter(customer=customer, invoice__isnull=True).count() == 2
    assert events.types() == ["invoiceitem.created", "invoiceitem.created"]


def test_latest_card_error_explains_a_failed_collection(make_customer, make_invoice):
    customer = make_customer(card="pm_card_visa_chargeDeclinedInsufficientFunds")
    invoice = finalize_invoice(make_invoice(customer, [(1000, [])]))
    assert latest_card_error(invoice) is None
    collect_invoices([invoice], now=NOW)
    error = latest_card_error(invoice)
    assert error is not None
    assert (error.code, error.decline_code, error.message, error.http_status) == (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
        402,
    )
