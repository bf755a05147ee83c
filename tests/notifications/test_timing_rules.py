"""Timing rules of the time-driven notices: which plans get a renewal reminder, and a notice is
sent once however often the clock passes by or the subscription changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from api_support import ApiClient, api_key
from seikyu.billing.services import test_clocks
from seikyu.billing.services.settings import update_billing_settings
from seikyu.billing.services.subscriptions import update_subscription
from seikyu.billing.timed_work import registered
from seikyu.core.clock import pinned
from seikyu.events.models import Event
from seikyu.notifications.models import OutboundEmail, ScheduledNotice
from seikyu.notifications.schedule import expiry_notice_at, next_morning, renewal_min_months, run_due

from .conftest import DAY, HOUR, START, advance, deliver, new_clock, new_customer, subscribe


@pytest.fixture(autouse=True)
def real_time_at_start() -> Iterator[None]:
    with pinned(START):
        yield


def test_which_plans_are_reminded_ahead_of_renewal():
    # Yearly (and longer) plans always; monthly plans when the notice is at most 30 days ahead.
    assert [renewal_min_months(days) for days in (3, 7, 15, 30, 31, 45, 60, 90, 365)] == [1, 1, 1, 1, 2, 2, 2, 3, 12]


def test_morning_instants_are_in_tokyo_time():
    assert expiry_notice_at(2027, 3) == dt.datetime(2027, 3, 1, 0, 0, tzinfo=dt.UTC)  # 09:00 JST
    assert next_morning(dt.datetime(2026, 4, 15, 0, 0, tzinfo=dt.UTC)) == dt.datetime(2026, 4, 16, tzinfo=dt.UTC)
    assert next_morning(dt.datetime(2026, 4, 14, 23, 59, tzinfo=dt.UTC)) == dt.datetime(2026, 4, 15, tzinfo=dt.UTC)


def test_45_days_ahead_a_yearly_plan_is_reminded_and_a_monthly_one_is_not(smtp, business, plans):
    update_billing_settings({"upcoming_renewal_days": 45}, livemode=False)
    clock = new_clock()
    yearly = new_customer(clock, email="yearly@example.jp")
    monthly = new_customer(clock, email="monthly@example.jp")
    subscribe(yearly, plans.yearly, plans.tax)
    subscribe(monthly, plans.monthly, plans.tax)
    renewal = dt.datetime(2027, 4, 1, tzinfo=dt.UTC)
    advance(clock, renewal - 44 * DAY)
    deliver()
    reminders = OutboundEmail.objects.filter(kind="upcoming_renewal")
    assert [(e.to, e.created) for e in reminders] == [(["yearly@example.jp"], renewal - 45 * DAY)]
    assert "毎年" in reminders[0].text and "¥55,000（税込）" in reminders[0].text


def test_30_days_ahead_monthly_plans_are_reminded_not_before_their_period_starts(smtp, business, plans):
    update_billing_settings({"upcoming_renewal_days": 30}, livemode=False)
    clock = new_clock()
    taro = new_customer(clock, email="taro@example.jp")
    subscribe(taro, plans.monthly, plans.tax)
    advance(clock, dt.datetime(2026, 6, 2, tzinfo=dt.UTC))
    deliver()
    reminders = OutboundEmail.objects.filter(kind="upcoming_renewal").order_by("created")
    # April and June have 30 days: at their start; May has 31: a day after it starts.
    assert [e.created for e in reminders] == [
        START,
        dt.datetime(2026, 5, 2, tzinfo=dt.UTC),
        dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
    ]


def test_a_notice_is_sent_once_however_often_the_clock_passes_or_the_subscription_changes(smtp, business, plans):
    clock = new_clock()
    taro = new_customer(clock, email="taro@example.jp")
    sub = subscribe(taro, plans.monthly, plans.tax, trial_period_days=14)
    advance(clock, START + 7 * DAY + HOUR)
    assert run_due(START + 7 * DAY + HOUR, clock.id, 100) == 0
    update_subscription(sub.id, {"metadata": {"plan": "gold"}}, livemode=False)
    assert run_due(START + 7 * DAY + HOUR, clock.id, 100) == 0
    advance(clock, START + 10 * DAY)
    assert deliver() == 1
    assert len(smtp.to("taro@example.jp")) == 1


def test_extending_a_trial_reminds_again_before_the_new_end(smtp, business, plans):
    clock = new_clock()
    taro = new_customer(clock, email="taro@example.jp")
    sub = subscribe(taro, plans.monthly, plans.tax, trial_period_days=14)
    advance(clock, START + 8 * DAY)
    new_end = START + 30 * DAY
    update_subscription(sub.id, {"trial_end": int(new_end.timestamp()), "proration_behavior": "none"}, livemode=False)
    advance(clock, START + 24 * DAY)
    deliver()
    first, second = smtp.to("taro@example.jp")
    assert (first.date(), second.date()) == (START + 7 * DAY, new_end - 7 * DAY)
    assert "2026年5月1日に終了します" in second.subject


def test_the_registered_timed_work_tells_a_clock_its_next_instant_and_does_what_is_due_there(business, plans):
    [work] = [w for w in registered() if w.name == "notifications"]
    clock = new_clock()
    taro = new_customer(clock, email="taro@example.jp")
    subscribe(taro, plans.monthly, plans.tax, trial_period_days=14)
    reminder_at = START + 7 * DAY
    assert work.next_due(clock.id) == reminder_at
    assert work.run_due(reminder_at - dt.timedelta(seconds=1), clock.id, 100) == 0
    assert work.run_due(reminder_at, clock.id, 100) == 1
    assert work.run_due(reminder_at, clock.id, 100) == 0
    # Next: the sandbox card, which expires a year after it was added.
    assert work.next_due(clock.id) == expiry_notice_at(2027, 4)
    [email] = OutboundEmail.objects.all()
    assert (email.kind, email.created, email.test_clock_id) == ("trial_ending", reminder_at, clock.id)


def test_in_real_time_the_worker_sends_what_is_due_for_objects_on_no_clock(smtp, business, plans):
    taro = new_customer(None, email="taro@example.jp")
    sub = subscribe(taro, plans.monthly, plans.tax, trial_period_days=14)
    on_clock = new_customer(new_clock(), email="clocked@example.jp")
    subscribe(on_clock, plans.monthly, plans.tax, trial_period_days=14)
    later = START + 7 * DAY
    assert run_due(later - HOUR, None, 100) == 0
    with pinned(later):
        assert run_due(later, None, 100) == 1
        deliver()
    [notice] = smtp.to("taro@example.jp")
    assert notice.message["X-Seikyu-Test-Clock"] is None
    assert OutboundEmail.objects.get().subscription_id == sub.id


def test_deleting_a_test_clock_forgets_its_notices(business, plans):
    clock = new_clock()
    subscribe(new_customer(clock, email="taro@example.jp"), plans.monthly, plans.tax, trial_period_days=14)
    assert ScheduledNotice.objects.filter(test_clock_id=clock.id).exists()
    test_clocks.delete_test_clock(clock.id, livemode=False)
    assert not ScheduledNotice.objects.filter(test_clock_id=clock.id).exists()


def test_the_renewal_email_and_invoice_upcoming_come_the_same_days_ahead(smtp, business, plans):
    clock = new_clock()
    taro = new_customer(clock, email="taro@example.jp")
    subscribe(taro, plans.monthly, plans.tax)
    renewal = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    # Changed once the subscription waits for its notice at 7 days: it now comes at 10.
    assert ApiClient(api_key()).ok("POST", "/v1/billing_settings", {"upcoming_renewal_days": 10})
    advance(clock, renewal - HOUR)
    deliver()

    # Event payloads are never queried inside (PostgreSQL stores them as json): filter here.
    upcoming = [e for e in Event.objects.filter(type="invoice.upcoming") if e.data["object"]["customer"] == taro.id]
    assert [e.created for e in upcoming] == [renewal - 10 * DAY]
    [reminder] = OutboundEmail.objects.filter(kind="upcoming_renewal")
    assert reminder.created == renewal - 10 * DAY
    assert [m.date() for m in smtp.to("taro@example.jp") if "更新" in m.subject] == [renewal - 10 * DAY]
