"""A living demo company, made by the engine itself.

``create_demo_company`` sets up a Japanese SaaS catalog (JPY, 10 % consumption tax, monthly and
yearly plans, per-seat pricing) and about 200 customers spread over test clocks that start about
thirteen months ago. Each customer gets a story — trials that convert or lapse, upgrades,
downgrades, seat changes, cancellations, cards that fail and recover or churn, bank-transfer
customers who pay on time or late — and the clocks are advanced through the stories, so every
invoice, payment, retry and event was produced by the real billing engine.

Everything is in test mode and marked with ``metadata.demo``; running it again does nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from seikyu.billing.models import Customer, Invoice, Price, Product, Subscription
from seikyu.billing.services import catalog, customers, payment_methods, subscriptions, test_clocks
from seikyu.billing.services.invoice_collection import pay_invoice
from seikyu.core.clock import real_now
from seikyu.core.errors import SeikyuError

from .names import DemoCompany, companies

DAY = dt.timedelta(days=1)
DEMO_MARKER = {"demo": "seikyu"}
CUSTOMERS_PER_CLOCK = 40

Progress = Callable[[str], None]


@dataclass
class DemoCatalog:
    tax_rate_id: str
    starter: str
    standard_monthly: str
    standard_yearly: str
    team_seat: str
    enterprise: str


@dataclass(order=True)
class _Step:
    at: dt.datetime
    order: int
    action: Callable[[], None] = field(compare=False)


@dataclass
class _Story:
    """What happens to one customer, scheduled on its clock's timeline."""

    company: DemoCompany
    clock_id: str
    customer_id: str | None = None
    subscription_id: str | None = None


def demo_exists() -> bool:
    return Product.objects.filter(livemode=False, metadata__demo="seikyu").exists()


def create_demo_company(
    *, customers_count: int = 200, months: int = 13, seed: int = 2026, progress: Progress | None = None
) -> dict[str, int]:
    """Create the demo in test mode unless it exists; returns counts of what is there."""
    say = progress or (lambda _message: None)
    if demo_exists():
        say("demo data already present")
        return _counts()
    rng = random.Random(seed)
    cat = _create_catalog()
    end = real_now().replace(microsecond=0)
    start = end - dt.timedelta(days=30 * months)
    people = companies(customers_count, rng)
    for offset in range(0, len(people), CUSTOMERS_PER_CLOCK):
        group = people[offset : offset + CUSTOMERS_PER_CLOCK]
        clock = test_clocks.create_test_clock(
            {"frozen_time": int(start.timestamp()), "name": f"デモ {offset // CUSTOMERS_PER_CLOCK + 1}"}, livemode=False
        )
        timeline = _Timeline(clock.id)
        for company in group:
            _plan_story(_Story(company, clock.id), timeline, cat, rng, start=start, end=end)
        timeline.play(until=end)
        say(f"demo: {min(offset + CUSTOMERS_PER_CLOCK, len(people))}/{len(people)} customers with their history")
    return _counts()


def _counts() -> dict[str, int]:
    return {
        "customers": Customer.objects.filter(livemode=False, metadata__demo="seikyu").count(),
        "subscriptions": Subscription.objects.filter(livemode=False, customer__metadata__demo="seikyu").count(),
        "invoices": Invoice.objects.filter(livemode=False, customer__metadata__demo="seikyu").count(),
    }


def _create_catalog() -> DemoCatalog:
    tax = catalog.create_tax_rate(
        {
            "display_name": "消費税",
            "percentage": "10",
            "inclusive": False,
            "country": "JP",
            "jurisdiction": "JP",
            "description": "標準税率 10%",
            "metadata": DEMO_MARKER,
        },
        livemode=False,
    )

    def product(name: str, description: str) -> str:
        data = {"name": name, "description": description, "metadata": DEMO_MARKER}
        return catalog.create_product(data, livemode=False).id

    def price(product_id: str, amount: int, interval: str, lookup_key: str, nickname: str) -> str:
        made = catalog.create_price(
            {
                "product": product_id,
                "currency": "jpy",
                "unit_amount": amount,
                "recurring": {"interval": interval},
                "lookup_key": lookup_key,
                "nickname": nickname,
                "tax_behavior": "exclusive",
                "metadata": DEMO_MARKER,
            },
            livemode=False,
        )
        return made.id

    starter = product("Seikyu Cloud スターター", "小規模チーム向けの基本プラン")
    standard = product("Seikyu Cloud スタンダード", "成長企業向けの標準プラン")
    team = product("Seikyu Cloud チーム", "ユーザー数に応じた従量課金（1席あたり）")
    enterprise = product("Seikyu Cloud エンタープライズ", "請求書払い・専任サポート付き")
    return DemoCatalog(
        tax_rate_id=tax.id,
        starter=price(starter, 3_000, "month", "starter_monthly", "スターター 月額"),
        standard_monthly=price(standard, 9_800, "month", "standard_monthly", "スタンダード 月額"),
        standard_yearly=price(standard, 98_000, "year", "standard_yearly", "スタンダード 年額"),
        team_seat=price(team, 1_200, "month", "team_seat_monthly", "チーム 1席 月額"),
        enterprise=price(enterprise, 50_000, "month", "enterprise_monthly", "エンタープライズ 月額"),
    )


class _Timeline:
    """Actions on one test clock, played in time order by advancing the clock to each."""

    def __init__(self, clock_id: str) -> None:
        self.clock_id = clock_id
        self._steps: list[_Step] = []
        self._order = itertools.count()

    def at(self, when: dt.datetime, action: Callable[[], None]) -> None:
        heapq.heappush(self._steps, _Step(when.replace(microsecond=0), next(self._order), action))

    def play(self, *, until: dt.datetime) -> None:
        while self._steps:
            step = heapq.heappop(self._steps)
            if step.at > until:
                break
            self._advance_to(step.at)
            try:
                step.action()
            except SeikyuError:
                # A story step that no longer fits (the subscription already churned, say) is skipped,
                # exactly as an operator's click would be refused.
                continue
        self._advance_to(until)

    def _advance_to(self, when: dt.datetime) -> None:
        clock = test_clocks.get_test_clock(self.clock_id, livemode=False)
        if when <= clock.frozen_time:
            return
        test_clocks.advance_test_clock(self.clock_id, {"frozen_time": int(when.timestamp())}, livemode=False)
        test_clocks.run_advance(self.clock_id)


def _plan_story(
    story: _Story, timeline: _Timeline, cat: DemoCatalog, rng: random.Random, *, start: dt.datetime, end: dt.datetime
) -> None:
    # Sign-ups fall on three days a month at 10:00, so customers on a clock share renewal instants
    # and each clock step bills them as one batch, as a real bill run would.
    months_open = max(1, (end - start).days // 30)
    signup = start + dt.timedelta(days=30 * rng.randrange(months_open) + rng.choice([0, 9, 19]), hours=10)
    kind = rng.choices(
        ["card_monthly", "card_yearly", "trial_converts", "trial_lapses", "bank_transfer", "seats"],
        weights=[40, 8, 17, 5, 15, 15],
    )[0]
    month = dt.timedelta(days=30)

    def subscribe(price: str, quantity: int = 1, **extra: Any) -> None:
        sub = subscriptions.create_subscription(
            {
                "customer": story.customer_id,
                "items": [{"price": price, "quantity": quantity}],
                "default_tax_rates": [cat.tax_rate_id],
                "metadata": DEMO_MARKER,
                **extra,
            },
            livemode=False,
        )
        story.subscription_id = sub.id

    def sign_up() -> None:
        customer = customers.create_customer(
            {
                "name": story.company.name,
                "email": story.company.email,
                "preferred_locales": [story.company.locale],
                "test_clock": story.clock_id,
                "metadata": DEMO_MARKER,
            },
            livemode=False,
        )
        story.customer_id = customer.id
        if kind not in ("bank_transfer", "trial_lapses"):
            _use_card(story, "pm_card_visa")
        if kind == "card_monthly":
            subscribe(rng.choice([cat.starter, cat.starter, cat.standard_monthly]))
        elif kind == "card_yearly":
            subscribe(cat.standard_yearly)
        elif kind == "seats":
            subscribe(cat.team_seat, quantity=rng.randint(3, 25))
        elif kind in ("trial_converts", "trial_lapses"):
            subscribe(
                rng.choice([cat.starter, cat.standard_monthly]),
                trial_period_days=14,
                trial_settings={"end_behavior": {"missing_payment_method": "cancel"}},
            )
        else:
            subscribe(
                rng.choice([cat.enterprise, cat.standard_monthly]), collection_method="send_invoice", days_until_due=30
            )

    timeline.at(signup, sign_up)
    if kind == "trial_lapses":
        return
    if kind == "bank_transfer":
        late_payer = rng.random() < 0.15
        payments = int((end - signup) / month) + 1
        for n in range(payments - (2 if late_payer else 0)):
            pays_at = signup + n * month + DAY * rng.randint(5, 25)
            timeline.at(pays_at, lambda: _pay_open_by_transfer(story))
        return

    life = end - signup
    if kind == "card_monthly" and rng.random() < 0.25 and life > 3 * month:
        target = cat.standard_monthly if rng.random() < 0.75 else cat.starter
        timeline.at(signup + rng.randint(2, 8) * month + DAY * rng.randint(1, 20), lambda: _change_price(story, target))
    if kind == "seats" and life > 2 * month:
        for _ in range(rng.randint(1, 3)):
            change = rng.choice([-3, -1, 1, 2, 5])
            changes_at = signup + DAY * rng.randint(20, max(21, life.days - 5))
            timeline.at(changes_at, functools.partial(_change_seats, story, change))
    if rng.random() < 0.12 and life > 2 * month:
        fails_at = signup + DAY * rng.randint(35, max(36, life.days - 5))
        timeline.at(fails_at, lambda: _use_card(story, "pm_card_chargeCustomerFail"))
        if rng.random() < 0.6:
            timeline.at(fails_at + month + DAY * rng.randint(2, 6), lambda: _recover_card(story))
    if rng.random() < 0.15 and life > 3 * month:
        timeline.at(signup + DAY * rng.randint(60, max(61, life.days - 5)), lambda: _cancel_at_period_end(story))


def _use_card(story: _Story, card: str) -> None:
    customer = Customer.objects.get(id=story.customer_id)
    pm = payment_methods.attach_payment_method(card, customer, livemode=False)
    customers.update_customer(customer.id, {"invoice_settings": {"default_payment_method": pm.id}}, livemode=False)


def _recover_card(story: _Story) -> None:
    """The customer updates the card after the failure emails, and the open invoice is paid."""
    _use_card(story, "pm_card_visa")
    for invoice in Invoice.objects.filter(customer_id=story.customer_id, status="open").order_by("created"):
        pay_invoice(invoice)


def _pay_open_by_transfer(story: _Story) -> None:
    for invoice in Invoice.objects.filter(customer_id=story.customer_id, status="open").order_by("created"):
        pay_invoice(invoice, paid_out_of_band=True)


def _live_subscription(story: _Story) -> Subscription | None:
    if story.subscription_id is None:
        return None
    sub = Subscription.objects.get(id=story.subscription_id)
    return sub if sub.status in ("active", "trialing", "past_due") else None


def _change_price(story: _Story, price_id: str) -> None:
    sub = _live_subscription(story)
    if sub is None:
        return
    item = sub.items.get()
    if item.price_id == price_id or Price.objects.get(id=price_id).currency != sub.currency:
        return
    subscriptions.update_subscription(
        sub.id,
        {"items": [{"id": item.id, "price": price_id}], "proration_behavior": "create_prorations"},
        livemode=False,
    )


def _change_seats(story: _Story, change: int) -> None:
    sub = _live_subscription(story)
    if sub is None:
        return
    item = sub.items.get()
    quantity = max(1, item.quantity + change)
    subscriptions.update_subscription(
        sub.id,
        {"items": [{"id": item.id, "quantity": quantity}], "proration_behavior": "create_prorations"},
        livemode=False,
    )


def _cancel_at_period_end(story: _Story) -> None:
    sub = _live_subscription(story)
    if sub is not None:
        subscriptions.update_subscription(sub.id, {"cancel_at_period_end": True}, livemode=False)
