"""Changing a subscription mid-period: prorations, immediate invoices, and previews that match."""

from __future__ import annotations

import datetime as dt

import pytest

from seikyu.billing.models import InvoiceItem, Subscription
from seikyu.billing.services.preview import preview_invoice
from seikyu.billing.services.subscriptions import update_subscription
from seikyu.core.clock import to_unix
from seikyu.core.errors import InvalidRequest
from seikyu.events.models import Event

from .conftest import DAY, HOUR, START, advance, fresh, invoices_of, subscribe

Status = Subscription.Status


def _lines(rendered_lines):
    return sorted(
        (
            line["amount"],
            line["quantity"],
            line["period"]["start"],
            line["period"]["end"],
            (line["parent"].get("subscription_item_details") or line["parent"].get("invoice_item_details"))[
                "proration"
            ],
        )
        for line in rendered_lines
    )


def _rendered(invoice):
    from seikyu.billing.render.invoices import render_invoice

    return render_invoice(invoice)


def test_a_quantity_change_with_prorations_is_billed_at_renewal_exactly_as_previewed(jpy, on_clock):
    customer, clock = on_clock()
    sub = subscribe(customer, jpy.monthly, default_tax_rates=[jpy.tax_10.id])
    item = sub.items.get()
    period_end = sub.current_period_end  # May 1: a 30-day April
    clock = advance(clock, START + 10 * DAY)
    proration_date = to_unix(clock.frozen_time)
    change = {
        "items": [{"id": item.id, "quantity": 3}],
        "proration_behavior": "create_prorations",
        "proration_date": proration_date,
    }

    events_before = Event.objects.count()
    preview = preview_invoice({"subscription": sub.id, "subscription_details": change}, livemode=False)
    # A preview leaves no trace: no invoice, no pending item, no event, no change.
    assert Event.objects.count() == events_before
    assert InvoiceItem.objects.filter(customer=customer).count() == 0
    assert fresh(sub).items.get().quantity == 1
    assert preview["id"] is None
    assert preview["billing_reason"] == "upcoming"
    assert all(line["id"].startswith("il_tmp_") for line in preview["lines"]["data"])

    update_subscription(sub.id, change, livemode=False)
    pending = list(InvoiceItem.objects.filter(subscription=sub, invoice__isnull=True).order_by("amount"))
    # 20 of 30 days remain: -¥3,333 for one seat, +¥10,000 for three.
    assert [(p.amount, p.proration) for p in pending] == [(-3333, True), (10000, True)]

    advance(clock, period_end + 2 * HOUR)
    actual = invoices_of(customer)[-1]
    assert actual.billing_reason == "subscription_cycle"
    assert actual.status == "paid"
    rendered = _rendered(actual)
    assert _lines(rendered["lines"]["data"]) == _lines(preview["lines"]["data"])
    for field in ("subtotal", "total", "total_excluding_tax", "amount_due"):
        assert rendered[field] == preview[field], field
    assert [(t["amount"], t["taxable_amount"]) for t in rendered["total_taxes"]] == [
        (t["amount"], t["taxable_amount"]) for t in preview["total_taxes"]
    ]
    # The renewal of 3 seats (¥15,000) plus the net proration (¥6,667), then 10 % tax.
    assert actual.subtotal == 21667
    assert actual.total == 21667 + 2166


def test_monthly_to_yearly_with_always_invoice_credits_the_unused_month_and_bills_a_year_now(jpy, on_clock):
    customer, clock = on_clock()
    sub = subscribe(customer, jpy.monthly)
    advance(clock, START + 15 * DAY)
    item = sub.items.get()
    sub = update_subscription(
        sub.id,
        {"items": [{"id": item.id, "price": jpy.yearly.id}], "proration_behavior": "always_invoice"},
        livemode=False,
    )
    invoice = sub.latest_invoice
    assert invoice.billing_reason == "subscription_update"
    assert invoice.status == "paid"
    amounts = sorted(line.amount for line in invoice.lines.all())
    assert amounts == [-2500, 50000]  # half of April unused
    assert invoice.total == 47500
    assert (sub.current_period_start, sub.current_period_end) == (
        START + 15 * DAY,
        dt.datetime(2027, 4, 16, tzinfo=dt.UTC),
    )
    assert sub.billing_cycle_anchor == START + 15 * DAY
    assert sub.items.get().price_id == jpy.yearly.id


def test_an_interval_change_invoices_now_even_with_create_prorations(jpy, on_clock):
    customer, clock = on_clock()
    sub = subscribe(customer, jpy.monthly)
    advance(clock, START + 15 * DAY)
    item = sub.items.get()
    sub = update_subscription(sub.id, {"items": [{"id": item.id, "price": jpy.yearly.id}]}, livemode=False)
    assert sub.latest_invoice.billing_reason == "subscription_update"
    assert sub.latest_invoice.total == 47500
    assert InvoiceItem.objects.filter(subscription=sub, invoice__isnull=True).count() == 0


def test_always_invoice_preview_equals_the_invoice_the_change_makes(jpy, on_clock):
    customer, clock = on_clock()
    sub = subscribe(customer, jpy.monthly, default_tax_rates=[jpy.tax_10.id])
    clock = advance(clock, START + 7 * DAY + 5 * HOUR)
    item = sub.items.get()
    change = {
        "items": [{"id": item.id, "quantity": 2}],
        "proration_behavior": "always_invoice",
        "proration_date": to_unix(clock.frozen_time),
    }
    preview = preview_invoice(
        {"customer": customer.id, "subscription": sub.id, "subscription_details": change}, livemode=False
    )
    assert preview["billing_reason"] == "subscription_update"
    sub = update_subscription(sub.id, change, livemode=False)
    actual = _rendered(sub.latest_invoice)
    assert _lines(actual["lines"]["data"]) == _lines(preview["lines"]["data"])
    assert (actual["total"], actual["subtotal"]) == (preview["total"], preview["subtotal"])
    assert actual["status"] == "paid"


def test_proration_none_changes_the_price_without_billing(jpy, on_clock):
    customer, clock = on_clock()
    sub = subscribe(customer, jpy.monthly)
    advance(clock, START + 5 * DAY)
    item = sub.items.get()
    update_subscription(
        sub.id, {"items": [{"id": item.id, "quantity": 4}], "proration_behavior": "none"}, livemode=False
    )
    assert InvoiceItem.objects.filter(subscription=sub).count() == 0
    assert len(invoices_of(customer)) == 1


def test_changes_during_a_trial_prorate_nothing(jpy, on_clock):
    customer, clock = on_clock()
    sub = subscribe(customer, jpy.monthly, trial_period_days=30)
    advance(clock, START + 5 * DAY)
    update_subscription(sub.id, {"items": [{"id": sub.items.get().id, "quantity": 2}]}, livemode=False)
    assert InvoiceItem.objects.filter(subscription=sub).count() == 0


def test_a_proration_date_outside_the_period_is_refused_and_nothing_changes(jpy, on_clock):
    customer, _ = on_clock()
    sub = subscribe(customer, jpy.monthly)
    with pytest.raises(InvalidRequest) as refused:
        update_subscription(
            sub.id,
            {"items": [{"id": sub.items.get().id, "quantity": 2}], "proration_date": to_unix(START - DAY)},
            livemode=False,
        )
    assert refused.value.param == "proration_date"
    assert fresh(sub).items.get().quantity == 1


def test_adding_and_removing_items_prorates_each(jpy, on_clock):
    from seikyu.billing.services import catalog

    customer, clock = on_clock()
    sub = subscribe(customer, jpy.monthly)
    addon = catalog.create_price(
        {"product": jpy.monthly.product_id, "currency": "jpy", "unit_amount": 3000, "recurring": {"interval": "month"}},
        livemode=False,
    )
    advance(clock, START + 15 * DAY)
    base = sub.items.get()
    update_subscription(sub.id, {"items": [{"id": base.id, "deleted": True}, {"price": addon.id}]}, livemode=False)
    pending = sorted(InvoiceItem.objects.filter(subscription=sub).values_list("amount", flat=True))
    assert pending == [-2500, 1500]
    assert [i.price_id for i in fresh(sub).items.all()] == [addon.id]


def test_ending_a_trial_now_starts_the_first_paid_period(jpy, on_clock):
    customer, clock = on_clock()
    sub = subscribe(customer, jpy.monthly, trial_period_days=14)
    advance(clock, START + 2 * DAY)
    sub = update_subscription(sub.id, {"trial_end": "now"}, livemode=False)
    assert sub.status == Status.ACTIVE
    assert (sub.trial_end, sub.current_period_start) == (START + 2 * DAY, START + 2 * DAY)
    assert sub.latest_invoice.status == "paid" and sub.latest_invoice.total == 5000
    assert Event.objects.filter(type="customer.subscription.trial_will_end", object_id=sub.id).count() == 1


def test_canceling_now_with_prorate_and_invoice_now_credits_the_unused_time(jpy, on_clock):
    from seikyu.billing.services.subscriptions import cancel_subscription

    customer, clock = on_clock()
    sub = subscribe(customer, jpy.monthly)
    advance(clock, START + 20 * DAY)
    sub = cancel_subscription(fresh(sub), invoice_now=True, prorate=True, cancellation_details={"feedback": "unused"})
    assert (sub.status, sub.ended_at) == (Status.CANCELED, START + 20 * DAY)
    assert sub.cancellation_details == {"feedback": "unused", "reason": "cancellation_requested"}
    final = invoices_of(customer)[-1]
    assert [line.amount for line in final.lines.all()] == [-1667]  # 10 of 30 days unused
    assert (final.total, final.amount_due, final.status) == (-1667, 0, "paid")
    customer.refresh_from_db()
    assert customer.balance == -1667  # the credit waits for the customer's next invoice


def test_preview_mode_recurring_leaves_out_pending_prorations(jpy, on_clock):
    customer, clock = on_clock()
    sub = subscribe(customer, jpy.monthly)
    advance(clock, START + 10 * DAY)
    update_subscription(sub.id, {"items": [{"id": sub.items.get().id, "quantity": 2}]}, livemode=False)
    nxt = preview_invoice({"subscription": sub.id}, livemode=False)
    recurring = preview_invoice({"subscription": sub.id, "preview_mode": "recurring"}, livemode=False)
    assert recurring["subtotal"] == 10000
    assert nxt["subtotal"] == 10000 + 3333  # two seats, plus one more seat for 20 of 30 days
    assert len(nxt["lines"]["data"]) == 3 and len(recurring["lines"]["data"]) == 1


def test_the_preview_of_a_new_subscription_equals_its_first_invoice(jpy, on_clock):
    customer, _ = on_clock()
    details = {"items": [{"price": jpy.monthly.id, "quantity": 2}], "default_tax_rates": [jpy.tax_10.id]}
    preview = preview_invoice({"customer": customer.id, "subscription_details": details}, livemode=False)
    assert not Subscription.objects.filter(customer=customer).exists()
    sub = subscribe(customer, jpy.monthly, **{k: v for k, v in details.items() if k != "items"}, items=details["items"])
    actual = _rendered(sub.latest_invoice)
    assert _lines(actual["lines"]["data"]) == _lines(preview["lines"]["data"])
    assert (actual["total"], preview["total"]) == (11000, 11000)


def test_no_upcoming_invoice_for_a_subscription_ending_at_period_end(jpy, on_clock):
    customer, _ = on_clock()
    sub = subscribe(customer, jpy.monthly, cancel_at_period_end=True)
    with pytest.raises(InvalidRequest) as none:
        preview_invoice({"subscription": sub.id}, livemode=False)
    assert none.value.code == "invoice_upcoming_none"


def test_a_preview_can_carry_one_off_invoice_items(jpy, on_clock):
    customer, _ = on_clock()
    sub = subscribe(customer, jpy.monthly)
    preview = preview_invoice(
        {"subscription": sub.id, "invoice_items": [{"amount": 2000, "currency": "jpy", "description": "導入支援"}]},
        livemode=False,
    )
    assert preview["subtotal"] == 7000
    assert "導入支援" in [line["description"] for line in preview["lines"]["data"]]
    assert InvoiceItem.objects.filter(customer=customer).count() == 0
