"""Stories of a subscription's life, told through the official SDK against a live Seikyu."""

from __future__ import annotations

import stripe

from .conftest import DAY, START, advance


def _invoices(customer_id: str) -> list[stripe.Invoice]:
    """The customer's invoices, oldest first."""
    return list(reversed(list(stripe.Invoice.list(customer=customer_id, limit=100).auto_paging_iter())))


def test_jpy_monthly_and_yearly_prices_round_trip(jpy_catalog):
    monthly = stripe.Price.retrieve(jpy_catalog.monthly.id)
    assert (monthly.currency, monthly.unit_amount, monthly.type) == ("jpy", 5000, "recurring")
    assert (monthly.recurring.interval, monthly.recurring.interval_count) == ("month", 1)
    yearly = stripe.Price.retrieve(jpy_catalog.yearly.id, expand=["product"])
    assert yearly.recurring.interval == "year"
    assert yearly.product.name == "Seikyu Cloud Standard"
    listed = {p.id for p in stripe.Price.list(product=jpy_catalog.product.id).auto_paging_iter()}
    assert listed == {monthly.id, yearly.id}


def test_a_14_day_trial_with_a_card_converts_and_pays_5500_yen_including_tax(jpy_catalog, customer_on_clock):
    customer, clock = customer_on_clock("pm_card_visa")
    sub = stripe.Subscription.create(
        customer=customer.id,
        items=[{"price": jpy_catalog.monthly.id}],
        trial_period_days=14,
        default_tax_rates=[jpy_catalog.tax_10.id],
    )
    assert sub.status == "trialing"
    assert sub.trial_end == START + 14 * DAY
    first = stripe.Invoice.retrieve(sub.latest_invoice)
    assert (first.status, first.total, first.billing_reason) == ("paid", 0, "subscription_create")

    # Trial ends on day 14; the renewal invoice is a draft for an hour, then it is finalized and charged.
    advance(clock.id, START + 14 * DAY + 2 * 3600)

    sub = stripe.Subscription.retrieve(sub.id)
    assert sub.status == "active"
    invoice = _invoices(customer.id)[-1]
    assert invoice.status == "paid"
    assert invoice.total == 5500
    assert invoice.amount_paid == 5500
    assert invoice.subtotal == 5000
    assert [(t.amount, t.taxable_amount) for t in invoice.total_taxes] == [(500, 5000)]
    assert invoice.total_taxes[0].tax_rate_details.tax_rate == jpy_catalog.tax_10.id
    item = sub["items"].data[0]
    assert item.current_period_start == START + 14 * DAY
    assert invoice.number and invoice.number.startswith(customer.invoice_prefix)


def test_quantity_change_with_prorations_matches_its_preview_exactly(jpy_catalog, customer_on_clock):
    customer, clock = customer_on_clock("pm_card_visa")
    sub = stripe.Subscription.create(
        customer=customer.id,
        items=[{"price": jpy_catalog.monthly.id, "quantity": 1}],
        default_tax_rates=[jpy_catalog.tax_10.id],
    )
    assert sub.status == "active"
    period_end = sub["items"].data[0].current_period_end
    clock = advance(clock.id, START + 10 * DAY)
    proration_date = clock.frozen_time
    item_id = sub["items"].data[0].id

    preview = stripe.Invoice.create_preview(
        customer=customer.id,
        subscription=sub.id,
        subscription_details={
            "items": [{"id": item_id, "quantity": 3}],
            "proration_behavior": "create_prorations",
            "proration_date": proration_date,
        },
    )
    stripe.Subscription.modify(
        sub.id,
        items=[{"id": item_id, "quantity": 3}],
        proration_behavior="create_prorations",
        proration_date=proration_date,
    )
    # The prorations wait for the next invoice, at the renewal.
    advance(clock.id, period_end + 2 * 3600)
    actual = _invoices(customer.id)[-1]

    def lines(inv: stripe.Invoice) -> list[tuple]:
        return sorted(
            (
                line.amount,
                line.quantity,
                line.period.start,
                line.period.end,
                line.parent.subscription_item_details.proration
                if line.parent.type == "subscription_item_details"
                else line.parent.invoice_item_details.proration,
            )
            for line in inv.lines.auto_paging_iter()
        )

    assert actual.billing_reason == "subscription_cycle"
    assert lines(actual) == lines(preview)
    for field in ("subtotal", "total", "total_excluding_tax", "amount_due"):
        assert actual[field] == preview[field], field
    assert [(t.amount, t.taxable_amount) for t in actual.total_taxes] == [
        (t.amount, t.taxable_amount) for t in preview.total_taxes
    ]
    prorations = [line for line in lines(actual) if line[4]]
    assert len(prorations) == 2
    assert sum(line[0] for line in prorations) > 0  # 2 more seats for the remaining 21 of 31 days


def test_monthly_to_yearly_with_always_invoice_bills_the_difference_now(jpy_catalog, customer_on_clock):
    customer, clock = customer_on_clock("pm_card_visa")
    sub = stripe.Subscription.create(customer=customer.id, items=[{"price": jpy_catalog.monthly.id}])
    advance(clock.id, START + 15 * DAY)
    sub = stripe.Subscription.modify(
        sub.id,
        items=[{"id": sub["items"].data[0].id, "price": jpy_catalog.yearly.id}],
        proration_behavior="always_invoice",
        expand=["latest_invoice"],
    )
    invoice = sub.latest_invoice
    assert invoice.billing_reason == "subscription_update"
    assert invoice.status == "paid"
    amounts = sorted(line.amount for line in invoice.lines.auto_paging_iter())
    assert amounts[0] < 0  # credit for the unused half month
    assert amounts[-1] == 50000  # a new yearly period starts now
    assert invoice.total == sum(amounts)
    item = sub["items"].data[0]
    assert item.price.id == jpy_catalog.yearly.id
    assert item.current_period_start == START + 15 * DAY
    assert item.current_period_end - item.current_period_start == 365 * DAY


def test_cancel_at_period_end_ends_at_the_renewal_without_billing_again(jpy_catalog, customer_on_clock):
    customer, clock = customer_on_clock("pm_card_visa")
    sub = stripe.Subscription.create(customer=customer.id, items=[{"price": jpy_catalog.monthly.id}])
    period_end = sub["items"].data[0].current_period_end
    sub = stripe.Subscription.modify(sub.id, cancel_at_period_end=True)
    assert (sub.status, sub.cancel_at_period_end) == ("active", True)
    advance(clock.id, period_end + 3 * 3600)
    sub = stripe.Subscription.retrieve(sub.id)
    assert sub.status == "canceled"
    assert sub.ended_at == period_end
    assert len(_invoices(customer.id)) == 1
    events = stripe.Event.list(type="customer.subscription.deleted", limit=100)
    assert sub.id in {e.data.object.id for e in events.auto_paging_iter()}


def test_a_card_that_keeps_failing_goes_past_due_retries_then_cancels(jpy_catalog, customer_on_clock):
    customer, clock = customer_on_clock("pm_card_visa")
    sub = stripe.Subscription.create(customer=customer.id, items=[{"price": jpy_catalog.monthly.id}])
    period_end = sub["items"].data[0].current_period_end
    failing = stripe.PaymentMethod.attach("pm_card_chargeCustomerFail", customer=customer.id)
    stripe.Customer.modify(customer.id, invoice_settings={"default_payment_method": failing.id})

    advance(clock.id, period_end + 2 * 3600)
    sub = stripe.Subscription.retrieve(sub.id)
    assert sub.status == "past_due"
    renewal = _invoices(customer.id)[-1]
    assert (renewal.status, renewal.attempt_count) == ("open", 1)
    assert renewal.next_payment_attempt is not None

    # The default schedule retries four times over 16 days; then the subscription is canceled and
    # the invoice written off.
    advance(clock.id, period_end + 17 * DAY)
    sub = stripe.Subscription.retrieve(sub.id)
    renewal = stripe.Invoice.retrieve(renewal.id)
    assert sub.status == "canceled"
    assert renewal.status == "uncollectible"
    assert renewal.attempt_count == 5
    assert renewal.next_payment_attempt is None
    failures = [
        e
        for e in stripe.Event.list(type="invoice.payment_failed", limit=100).auto_paging_iter()
        if e.data.object.id == renewal.id
    ]
    assert len(failures) == 5


def test_send_invoice_subscription_paid_out_of_band(jpy_catalog, customer_on_clock):
    customer, _clock = customer_on_clock(card=None)
    sub = stripe.Subscription.create(
        customer=customer.id,
        items=[{"price": jpy_catalog.monthly.id}],
        collection_method="send_invoice",
        days_until_due=30,
        default_tax_rates=[jpy_catalog.tax_10.id],
    )
    assert sub.status == "active"
    invoice = stripe.Invoice.retrieve(sub.latest_invoice)
    assert (invoice.status, invoice.collection_method, invoice.total) == ("open", "send_invoice", 5500)
    assert invoice.due_date == invoice.status_transitions.finalized_at + 30 * DAY
    paid = stripe.Invoice.pay(invoice.id, paid_out_of_band=True)
    assert paid.status == "paid"
    assert paid.amount_remaining == 0
    assert paid.status_transitions.paid_at is not None
