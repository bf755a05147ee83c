"""The subscription, subscription item, test clock and preview endpoints, through ``/v1``."""

from __future__ import annotations

from typing import Any

import pytest

from api_support import ApiClient, api, live_api
from seikyu.billing import models
from seikyu.billing.models import Invoice, Subscription
from seikyu.core.clock import to_unix
from seikyu.events.models import Event

from .conftest import DAY, HOUR, START

__all__ = ["api", "live_api"]


@pytest.fixture
def shop(api: ApiClient) -> dict[str, Any]:
    product = api.ok("POST", "/v1/products", {"name": "Seikyu Cloud"})
    monthly = api.ok(
        "POST",
        "/v1/prices",
        {"product": product["id"], "currency": "jpy", "unit_amount": 5000, "recurring": {"interval": "month"}},
    )
    tax = api.ok("POST", "/v1/tax_rates", {"display_name": "消費税", "percentage": 10, "inclusive": False})
    clock = api.ok("POST", "/v1/test_helpers/test_clocks", {"frozen_time": to_unix(START), "name": "April"})
    customer = api.ok("POST", "/v1/customers", {"email": "a@example.jp", "test_clock": clock["id"]})
    pm = api.ok("POST", "/v1/payment_methods/pm_card_visa/attach", {"customer": customer["id"]})
    api.ok("POST", f"/v1/customers/{customer['id']}", {"invoice_settings": {"default_payment_method": pm["id"]}})
    return {"monthly": monthly, "tax": tax, "clock": clock, "customer": customer}


def _advance(api: ApiClient, clock_id: str, to: int) -> dict[str, Any]:
    from seikyu.worker import Worker

    advancing = api.ok("POST", f"/v1/test_helpers/test_clocks/{clock_id}/advance", {"frozen_time": to})
    assert advancing["status"] == "advancing"
    assert advancing["status_details"] == {"advancing": {"target_frozen_time": to}}
    Worker(idle_seconds=0).run(once=True)
    clock = api.ok("GET", f"/v1/test_helpers/test_clocks/{clock_id}")
    assert (clock["status"], clock["frozen_time"]) == ("ready", to)
    return clock


def test_a_subscription_in_its_wire_shape(api, shop):
    sub = api.ok(
        "POST",
        "/v1/subscriptions",
        {
            "customer": shop["customer"]["id"],
            "items": [{"price": shop["monthly"]["id"], "quantity": 2}],
            "default_tax_rates": [shop["tax"]["id"]],
            "metadata": {"plan": "standard"},
        },
    )
    assert (sub["object"], sub["status"], sub["currency"], sub["collection_method"]) == (
        "subscription",
        "active",
        "jpy",
        "charge_automatically",
    )
    assert "current_period_start" not in sub
    item = sub["items"]["data"][0]
    assert (item["object"], item["quantity"], item["subscription"]) == ("subscription_item", 2, sub["id"])
    assert (item["current_period_start"], item["current_period_end"]) == (to_unix(START), to_unix(START + 30 * DAY))
    assert item["price"]["id"] == shop["monthly"]["id"] and item["price"]["object"] == "price"
    assert (item["plan"]["object"], item["plan"]["amount"], item["plan"]["interval"]) == ("plan", 5000, "month")
    assert sub["items"]["url"] == f"/v1/subscription_items?subscription={sub['id']}"
    assert [r["id"] for r in sub["default_tax_rates"]] == [shop["tax"]["id"]]
    assert sub["default_tax_rates"][0]["object"] == "tax_rate"
    assert sub["test_clock"] == shop["clock"]["id"]
    assert sub["metadata"] == {"plan": "standard"}
    assert sub["trial_settings"] == {"end_behavior": {"missing_payment_method": "create_invoice"}}
    assert sub["billing_cycle_anchor"] == to_unix(START) and sub["start_date"] == to_unix(START)
    invoice = api.ok("GET", f"/v1/invoices/{sub['latest_invoice']}")
    assert (invoice["status"], invoice["total"], invoice["billing_reason"]) == ("paid", 11000, "subscription_create")
    expanded = api.ok("GET", f"/v1/subscriptions/{sub['id']}", {"expand": ["latest_invoice", "customer"]})
    assert expanded["latest_invoice"]["id"] == sub["latest_invoice"]
    assert expanded["customer"]["id"] == shop["customer"]["id"]
    event = Event.objects.get(type="customer.subscription.created", object_id=sub["id"])
    assert event.data["object"]["status"] == "active"


def test_bad_requests_point_at_the_parameter_and_change_nothing(api, shop):
    customer = shop["customer"]["id"]
    missing = api.post("/v1/subscriptions", {"customer": customer, "items": [{"price": "price_nope"}]})
    assert (missing.status, missing.error["code"], missing.error["param"]) == (
        404,
        "resource_missing",
        "items[0][price]",
    )
    no_items = api.post("/v1/subscriptions", {"customer": customer})
    assert (no_items.status, no_items.error["param"]) == (400, "items")
    not_int = api.post(
        "/v1/subscriptions", {"customer": customer, "items": [{"price": shop["monthly"]["id"], "quantity": "many"}]}
    )
    assert (not_int.error["code"], not_int.error["param"]) == ("parameter_invalid_integer", "items[0][quantity]")
    failing = api.ok("POST", "/v1/payment_methods/pm_card_chargeCustomerFail/attach", {"customer": customer})
    declined = api.post(
        "/v1/subscriptions",
        {
            "customer": customer,
            "items": [{"price": shop["monthly"]["id"]}],
            "default_payment_method": failing["id"],
            "payment_behavior": "error_if_incomplete",
        },
    )
    assert (declined.status, declined.error["type"], declined.error["code"]) == (402, "card_error", "card_declined")
    assert not Subscription.objects.filter(customer_id=customer).exists()
    assert not Invoice.objects.filter(customer_id=customer).exists()


def test_updating_items_and_listing_and_searching(api, shop):
    customer = shop["customer"]["id"]
    sub = api.ok("POST", "/v1/subscriptions", {"customer": customer, "items": [{"price": shop["monthly"]["id"]}]})
    item_id = sub["items"]["data"][0]["id"]
    updated = api.ok(
        "POST",
        f"/v1/subscriptions/{sub['id']}",
        {"items": [{"id": item_id, "quantity": 3}], "proration_behavior": "none", "metadata": {"team": "ops"}},
    )
    assert updated["items"]["data"][0]["quantity"] == 3
    change = Event.objects.filter(type="customer.subscription.updated", object_id=sub["id"]).latest("created")
    assert set(change.data["previous_attributes"]) == {"items", "metadata"}

    listed = api.ok("GET", "/v1/subscriptions", {"customer": customer})
    assert [s["id"] for s in listed["data"]] == [sub["id"]]
    assert (
        api.ok("GET", "/v1/subscriptions", {"price": shop["monthly"]["id"], "status": "active"})["data"][0]["id"]
        == sub["id"]
    )
    found = api.ok("GET", "/v1/subscriptions/search", {"query": "status:'active' AND metadata['team']:'ops'"})
    assert [s["id"] for s in found["data"]] == [sub["id"]]

    canceled = api.ok("DELETE", f"/v1/subscriptions/{sub['id']}", {"cancellation_details": {"comment": "moving"}})
    assert (canceled["status"], canceled["cancellation_details"]["comment"]) == ("canceled", "moving")
    assert api.ok("GET", "/v1/subscriptions", {"customer": customer})["data"] == []
    assert [s["id"] for s in api.ok("GET", "/v1/subscriptions", {"customer": customer, "status": "all"})["data"]] == [
        sub["id"]
    ]
    assert len(api.ok("GET", "/v1/subscriptions", {"customer": customer, "status": "ended"})["data"]) == 1
    again = api.delete(f"/v1/subscriptions/{sub['id']}")
    assert again.status == 400


def test_subscription_items_endpoints(api, shop):
    customer = shop["customer"]["id"]
    sub = api.ok("POST", "/v1/subscriptions", {"customer": customer, "items": [{"price": shop["monthly"]["id"]}]})
    product = api.ok("POST", "/v1/products", {"name": "Support"})
    addon = api.ok(
        "POST",
        "/v1/prices",
        {"product": product["id"], "currency": "jpy", "unit_amount": 1000, "recurring": {"interval": "month"}},
    )
    created = api.ok(
        "POST",
        "/v1/subscription_items",
        {"subscription": sub["id"], "price": addon["id"], "quantity": 2, "proration_behavior": "none"},
    )
    assert (created["object"], created["quantity"], created["price"]["id"]) == ("subscription_item", 2, addon["id"])
    changed = api.ok("POST", f"/v1/subscription_items/{created['id']}", {"quantity": 5, "proration_behavior": "none"})
    assert changed["quantity"] == 5
    assert api.ok("GET", f"/v1/subscription_items/{created['id']}")["quantity"] == 5
    listed = api.ok("GET", "/v1/subscription_items", {"subscription": sub["id"]})
    assert len(listed["data"]) == 2
    deleted = api.ok("DELETE", f"/v1/subscription_items/{created['id']}", {"proration_behavior": "none"})
    assert deleted == {"id": created["id"], "object": "subscription_item", "deleted": True}
    last = sub["items"]["data"][0]["id"]
    refused = api.delete(f"/v1/subscription_items/{last}")
    assert refused.status == 400


def test_create_preview_through_the_api(api, shop):
    sub = api.ok(
        "POST",
        "/v1/subscriptions",
        {
            "customer": shop["customer"]["id"],
            "items": [{"price": shop["monthly"]["id"]}],
            "default_tax_rates": [shop["tax"]["id"]],
        },
    )
    preview = api.ok(
        "POST",
        "/v1/invoices/create_preview",
        {
            "subscription": sub["id"],
            "subscription_details": {"items": [{"id": sub["items"]["data"][0]["id"], "quantity": 2}]},
        },
    )
    assert preview["object"] == "invoice" and preview["id"] is None
    assert preview["billing_reason"] == "upcoming"
    assert all(line["id"].startswith("il_tmp_") for line in preview["lines"]["data"])
    new = api.ok(
        "POST",
        "/v1/invoices/create_preview",
        {"customer": shop["customer"]["id"], "subscription_details": {"items": [{"price": shop["monthly"]["id"]}]}},
    )
    assert (new["billing_reason"], new["subtotal"]) == ("subscription_create", 5000)
    assert Subscription.objects.count() == 1


# The worker manages its own database connections, as in production: no test-wide transaction.
@pytest.mark.django_db(transaction=True)
def test_test_clocks_advance_through_the_worker(api, shop):
    sub = api.ok(
        "POST", "/v1/subscriptions", {"customer": shop["customer"]["id"], "items": [{"price": shop["monthly"]["id"]}]}
    )
    clock_id = shop["clock"]["id"]
    backwards = api.post(f"/v1/test_helpers/test_clocks/{clock_id}/advance", {"frozen_time": to_unix(START - DAY)})
    assert (backwards.status, backwards.error["param"]) == (400, "frozen_time")

    _advance(api, clock_id, to_unix(START + 30 * DAY + 2 * HOUR))
    invoices = api.ok("GET", "/v1/invoices", {"customer": shop["customer"]["id"]})["data"]
    assert [(i["billing_reason"], i["status"]) for i in invoices] == [
        ("subscription_cycle", "paid"),
        ("subscription_create", "paid"),
    ]
    types = list(Event.objects.filter(object_id=clock_id).order_by("created", "id").values_list("type", flat=True))
    assert types[0] == "test_helpers.test_clock.created"
    assert types[-2:] == ["test_helpers.test_clock.advancing", "test_helpers.test_clock.ready"]
    assert api.ok("GET", f"/v1/subscriptions/{sub['id']}")["items"]["data"][0]["current_period_start"] == to_unix(
        START + 30 * DAY
    )

    listed = api.ok("GET", "/v1/test_helpers/test_clocks")
    assert [c["id"] for c in listed["data"]] == [clock_id]
    deleted = api.ok("DELETE", f"/v1/test_helpers/test_clocks/{clock_id}")
    assert deleted == {"id": clock_id, "object": "test_helpers.test_clock", "deleted": True}
    assert api.get(f"/v1/test_helpers/test_clocks/{clock_id}").status == 404
    assert api.ok("GET", f"/v1/subscriptions/{sub['id']}")["status"] == "canceled"


def test_test_clocks_exist_only_in_test_mode(live_api):
    refused = live_api.post("/v1/test_helpers/test_clocks", {"frozen_time": to_unix(START)})
    assert refused.status == 400
    assert not models.TestClock.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_advance_interrupted_by_a_dead_worker_is_resumed(api, shop):
    from seikyu.billing.services import test_clocks
    from seikyu.worker import Worker

    api.ok(
        "POST", "/v1/subscriptions", {"customer": shop["customer"]["id"], "items": [{"price": shop["monthly"]["id"]}]}
    )
    clock_id = shop["clock"]["id"]
    target = to_unix(START + 65 * DAY)
    api.ok("POST", f"/v1/test_helpers/test_clocks/{clock_id}/advance", {"frozen_time": target})
    # The worker dies after the first step: its queued task is lost, the clock stays advancing.
    from django_tasks_db.models import DBTaskResult

    test_clocks._step(clock_id)
    DBTaskResult.objects.all().delete()
    assert api.ok("GET", f"/v1/test_helpers/test_clocks/{clock_id}")["status"] == "advancing"
    # A new worker picks the advance up again on start.
    Worker(idle_seconds=0).run(once=True)
    clock = api.ok("GET", f"/v1/test_helpers/test_clocks/{clock_id}")
    assert (clock["status"], clock["frozen_time"]) == ("ready", target)
    cycles = Invoice.objects.filter(customer_id=shop["customer"]["id"], billing_reason="subscription_cycle")
    assert cycles.count() == 2
