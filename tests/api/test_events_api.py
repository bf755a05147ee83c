"""``GET /v1/events`` and ``/v1/events/{id}``."""

import datetime as dt

import pytest

from seikyu.billing.services import catalog, customers
from seikyu.core.clock import pinned, to_unix

T0 = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


@pytest.fixture
def history(db):
    with pinned(T0):
        customer = customers.create_customer({"email": "a@example.com"}, livemode=False)
    with pinned(T0 + dt.timedelta(minutes=1)):
        customers.update_customer(customer.id, {"name": "A"}, livemode=False)
    with pinned(T0 + dt.timedelta(minutes=2)):
        catalog.create_product({"name": "P"}, livemode=False)
    with pinned(T0 + dt.timedelta(minutes=3)):
        catalog.create_coupon({"percent_off": 5}, livemode=False)
    return customer


def _types(api, params=None):
    return [e["type"] for e in api.ok("GET", "/v1/events", params)["data"]]


def test_events_are_listed_newest_first_in_wire_shape(api, history):
    page = api.ok("GET", "/v1/events")
    assert [e["type"] for e in page["data"]] == [
        "coupon.created",
        "product.created",
        "customer.updated",
        "customer.created",
    ]
    event = page["data"][2]
    assert event["object"] == "event" and event["id"].startswith("evt_")
    assert event["api_version"] == "2026-10-28.endive"
    assert event["livemode"] is False
    assert event["created"] == to_unix(T0 + dt.timedelta(minutes=1))
    assert event["data"]["previous_attributes"] == {"name": None}
    assert event["request"] == {"id": None, "idempotency_key": None}
    assert api.ok("GET", f"/v1/events/{event['id']}") == event


def test_type_filters(api, history):
    assert _types(api, {"type": "customer.*"}) == ["customer.updated", "customer.created"]
    assert _types(api, {"type": "product.created"}) == ["product.created"]
    assert _types(api, {"types": ["coupon.created", "customer.*"]}) == [
        "coupon.created",
        "customer.updated",
        "customer.created",
    ]
    assert _types(api, {"type": "invoice.*"}) == []


def test_created_filter(api, history):
    assert _types(api, {"created": {"gte": to_unix(T0 + dt.timedelta(minutes=2))}}) == [
        "coupon.created",
        "product.created",
    ]
    assert _types(api, {"created": to_unix(T0)}) == ["customer.created"]


def test_events_of_the_other_mode_are_missing(live_api, history):
    assert live_api.ok("GET", "/v1/events")["data"] == []
    assert live_api.get("/v1/events/evt_nope").error["code"] == "resource_missing"
