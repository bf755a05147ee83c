"""Each customer email has its switch: off means nothing is queued, and a notice whose moment
passes while its kind is off is skipped, not sent late. Team alerts have no switch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from seikyu.billing.services import customers
from seikyu.billing.services.payment_methods import attach_payment_method
from seikyu.core.clock import pinned
from seikyu.notifications.models import OutboundEmail

from .conftest import DAY, HOUR, START, TEAM, advance, deliver, new_clock, new_customer, subscribe, switch


@pytest.fixture(autouse=True)
def real_time_at_start() -> Iterator[None]:
    with pinned(START):
        yield


ALL_OFF = {
    "trial_ending": False,
    "upcoming_renewal": False,
    "card_expiring": False,
    "payment_succeeded": False,
    "payment_failed": False,
    "invoice_finalized": False,
    "past_due_reminders": False,
}


def test_with_every_customer_email_off_customers_get_nothing_and_the_team_still_hears_of_failures(
    smtp, business, plans
):
    switch(**ALL_OFF)
    clock = new_clock()
    trial = new_customer(clock, email="trial@example.jp")
    subscribe(trial, plans.monthly, plans.tax, trial_period_days=14)
    payer = new_customer(clock, email="payer@example.jp")
    subscribe(payer, plans.monthly, plans.tax)
    failing = attach_payment_method("pm_card_chargeCustomerFail", payer, livemode=False)
    customers.update_customer(payer.id, {"invoice_settings": {"default_payment_method": failing.id}}, livemode=False)
    company = new_customer(clock, email="company@example.jp", name="株式会社テスト", card=None)
    subscribe(company, plans.monthly, plans.tax, collection_method="send_invoice", days_until_due=7)

    advance(clock, START + 40 * DAY)
    deliver()

    customer_mail = [m for m in smtp.received if not set(m.rcpt_tos) & set(TEAM)]
    assert customer_mail == []
    kinds = set(OutboundEmail.objects.values_list("kind", flat=True))
    assert kinds == {"payment_failed_alert", "overdue_digest"}


def test_a_trial_reminder_due_while_switched_off_is_skipped_not_sent_late(smtp, business, plans):
    switch(trial_ending=False)
    clock = new_clock()
    taro = new_customer(clock, email="taro@example.jp")
    subscribe(taro, plans.monthly, plans.tax, trial_period_days=14)
    advance(clock, START + 8 * DAY)
    switch(trial_ending=True)
    advance(clock, START + 13 * DAY)
    deliver()
    assert smtp.to("taro@example.jp") == []


def test_switching_on_again_sends_the_next_ones(smtp, business, plans):
    switch(payment_succeeded=False)
    taro = new_customer(None, email="taro@example.jp")
    subscribe(taro, plans.monthly, plans.tax)
    switch(payment_succeeded=True)
    jane = new_customer(None, email="jane@example.com", locales=["en"])
    subscribe(jane, plans.monthly, plans.tax)
    deliver()
    assert smtp.to("taro@example.jp") == [] and len(smtp.to("jane@example.com")) == 1


def test_changing_the_days_moves_pending_notices(smtp, business, plans):
    clock = new_clock()
    taro = new_customer(clock, email="taro@example.jp")
    subscribe(taro, plans.monthly, plans.tax, trial_period_days=14)
    switch(trial_ending={"enabled": True, "days_before": 3})
    advance(clock, START + 11 * DAY - HOUR)
    deliver()
    assert smtp.to("taro@example.jp") == []
    advance(clock, START + 12 * DAY)
    deliver()
    [notice] = smtp.to("taro@example.jp")
    assert notice.date() == START + 11 * DAY
    assert "（あと3日）" in notice.text()
