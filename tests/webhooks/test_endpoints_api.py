"""``/v1/webhook_endpoints`` CRUD as Stripe's, and the delivery extensions."""

from __future__ import annotations

import pytest

from seikyu.api.openapi import document
from seikyu.billing.services import customers
from seikyu.webhooks.models import WebhookEndpoint
from seikyu.webhooks.services import run_webhook_work

pytestmark = pytest.mark.django_db

URL = "https://example.com/my/webhook/endpoint"


def create(api, **params):
    return api.ok("POST", "/v1/webhook_endpoints", {"url": URL, "enabled_events": ["charge.succeeded"], **params})


def test_create_returns_the_secret_once_in_stripes_shape(api):
    created = create(api, description="Orders", metadata={"team": "billing"}, enabled_events=["*"])
    assert created["id"].startswith("we_")
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 30
    assert created == {
        "id": created["id"],
        "object": "webhook_endpoint",
        "api_version": None,
        "application": None,
        "created": created["created"],
        "description": "Orders",
        "enabled_events": ["*"],
        "livemode": False,
        "metadata": {"team": "billing"},
        "secret": created["secret"],
        "status": "enabled",
        "url": URL,
    }
    retrieved = api.ok("GET", f"/v1/webhook_endpoints/{created['id']}")
    assert "secret" not in retrieved
    assert retrieved == {k: v for k, v in created.items() if k != "secret"}


def test_update_list_and_delete(api):
    first = create(api)
    second = create(api, url="http://127.0.0.1:4242/hooks")
    updated = api.ok(
        "POST",
        f"/v1/webhook_endpoints/{first['id']}",
        {
            "enabled_events": ["invoice.paid", "invoice.payment_failed"],
            "description": "Invoices",
            "metadata": {"a": "1"},
        },
    )
    assert updated["enabled_events"] == ["invoice.paid", "invoice.payment_failed"]
    assert (updated["description"], updated["metadata"], updated["url"]) == ("Invoices", {"a": "1"}, URL)
    assert "secret" not in updated

    disabled = api.ok("POST", f"/v1/webhook_endpoints/{first['id']}", {"disabled": True})
    assert disabled["status"] == "disabled"
    assert api.ok("POST", f"/v1/webhook_endpoints/{first['id']}", {"disabled": False})["status"] == "enabled"

    listed = api.ok("GET", "/v1/webhook_endpoints")
    assert [e["id"] for e in listed["data"]] == [second["id"], first["id"]]
    page = api.ok("GET", "/v1/webhook_endpoints", {"limit": 1})
    assert page["has_more"] is True
    after = api.ok("GET", "/v1/webhook_endpoints", {"limit": 1, "starting_after": page["data"][0]["id"]})
    assert [e["id"] for e in after["data"]] == [first["id"]]

    assert api.ok("DELETE", f"/v1/webhook_endpoints/{first['id']}")["deleted"] is True
    status, body, _ = api.get(f"/v1/webhook_endpoints/{first['id']}")
    assert status == 404 and body["error"]["code"] == "resource_missing"


@pytest.mark.parametrize(
    ("params", "param", "fragment"),
    [
        ({"url": "ftp://example.com/x"}, "url", "http:// or https://"),
        ({"url": "example.com/hook"}, "url", "http:// or https://"),
        ({"url": "https:///nohost"}, "url", "with a host"),
        ({"url": "https://exa mple.com/"}, "url", "Invalid URL"),
        ({"enabled_events": ["invoice.paid", "invoice.piad"]}, "enabled_events[1]", "invoice.piad"),
        ({"enabled_events": ["invoice.*"]}, "enabled_events[0]", "not an event type"),
        ({"description": "x" * 5001}, "description", "at most 5000"),
        ({"metadata": {"k" * 41: "v"}}, "metadata[" + "k" * 41 + "]", "40 characters"),
        ({"colour": "red"}, "colour", "unknown parameter"),
    ],
)
def test_invalid_input_is_rejected_with_its_param_and_changes_nothing(api, params, param, fragment):
    status, body, _ = api.post("/v1/webhook_endpoints", {"url": URL, "enabled_events": ["*"], **params})
    assert status == 400
    assert body["error"]["param"] == param
    assert fragment in body["error"]["message"]
    assert not WebhookEndpoint.objects.exists()


def test_missing_required_params(api):
    status, body, _ = api.post("/v1/webhook_endpoints", {"enabled_events": ["*"]})
    assert (status, body["error"]["param"], body["error"]["code"]) == (400, "url", "parameter_missing")
    status, body, _ = api.post("/v1/webhook_endpoints", {"url": URL})
    assert (status, body["error"]["param"]) == (400, "enabled_events")
    status, body, _ = api.post("/v1/webhook_endpoints", {"url": URL, "enabled_events": ""})
    assert (status, body["error"]["param"]) == (400, "enabled_events")


def test_update_validates_too(api):
    endpoint = create(api)
    status, body, _ = api.post(f"/v1/webhook_endpoints/{endpoint['id']}", {"url": "mailto:a@example.com"})
    assert (status, body["error"]["param"]) == (400, "url")
    status, body, _ = api.post(f"/v1/webhook_endpoints/{endpoint['id']}", {"enabled_events": ["nope"]})
    assert (status, body["error"]["param"]) == (400, "enabled_events[0]")
    assert api.ok("GET", f"/v1/webhook_endpoints/{endpoint['id']}")["url"] == URL


def test_unknown_ids_are_404_with_param_id(api):
    for method, path in [
        ("GET", "/v1/webhook_endpoints/we_missing"),
        ("POST", "/v1/webhook_endpoints/we_missing"),
        ("DELETE", "/v1/webhook_endpoints/we_missing"),
        ("GET", "/v1/webhook_endpoints/we_missing/deliveries"),
        ("GET", "/v1/webhook_deliveries/whdel_missing"),
        ("POST", "/v1/webhook_deliveries/whdel_missing/resend"),
    ]:
        response = api.request(method, path)
        assert response.status == 404, path
        assert response.error["param"] == "id"
        assert response.error["code"] == "resource_missing"


def test_test_and_live_endpoints_are_separate(api, live_api):
    test_endpoint = create(api)
    live_endpoint = create(live_api)
    assert live_endpoint["livemode"] is True
    assert [e["id"] for e in api.ok("GET", "/v1/webhook_endpoints")["data"]] == [test_endpoint["id"]]
    assert [e["id"] for e in live_api.ok("GET", "/v1/webhook_endpoints")["data"]] == [live_endpoint["id"]]
    assert live_api.get(f"/v1/webhook_endpoints/{test_endpoint['id']}").status == 404
    assert live_api.delete(f"/v1/webhook_endpoints/{test_endpoint['id']}").status == 404


def test_at_most_sixteen_endpoints_per_mode(api, live_api):
    for _ in range(16):
        create(api)
    status, body, _ = api.post("/v1/webhook_endpoints", {"url": URL, "enabled_events": ["*"]})
    assert status == 400 and "maximum of 16" in body["error"]["message"]
    create(live_api)


def test_deliveries_can_be_listed_by_status_and_read_with_their_attempts(api, live_api, receiver):
    endpoint = api.ok("POST", "/v1/webhook_endpoints", {"url": receiver.url, "enabled_events": ["customer.created"]})
    customers.create_customer({"email": "ok@example.jp"}, livemode=False)
    while run_webhook_work():
        pass
    receiver.status = 500
    customers.create_customer({"email": "ko@example.jp"}, livemode=False)
    while run_webhook_work():
        pass

    deliveries = api.ok("GET", f"/v1/webhook_endpoints/{endpoint['id']}/deliveries")["data"]
    assert [d["status"] for d in deliveries] == ["pending", "succeeded"]
    failing, delivered = deliveries
    assert failing["object"] == "webhook_delivery" and failing["event"].startswith("evt_")
    assert failing["event_type"] == "customer.created" and failing["webhook_endpoint"] == endpoint["id"]
    assert failing["attempt_count"] == 1 and failing["last_status_code"] == 500
    assert failing["next_attempt"] > failing["last_attempt_at"] and failing["delivered_at"] is None
    assert delivered["delivered_at"] is not None and delivered["next_attempt"] is None
    assert "attempts" not in delivered

    only_pending = api.ok("GET", f"/v1/webhook_endpoints/{endpoint['id']}/deliveries", {"status": "pending"})
    assert [d["id"] for d in only_pending["data"]] == [failing["id"]]
    by_event = api.ok("GET", f"/v1/webhook_endpoints/{endpoint['id']}/deliveries", {"event": delivered["event"]})
    assert [d["id"] for d in by_event["data"]] == [delivered["id"]]
    status, body, _ = api.get(f"/v1/webhook_endpoints/{endpoint['id']}/deliveries", {"status": "lost"})
    assert (status, body["error"]["param"]) == (400, "status")

    detail = api.ok("GET", f"/v1/webhook_deliveries/{failing['id']}", {"expand": ["event", "webhook_endpoint"]})
    assert detail["event"]["type"] == "customer.created"
    assert detail["webhook_endpoint"]["url"] == receiver.url and "secret" not in detail["webhook_endpoint"]
    (attempt,) = detail["attempts"]
    assert attempt["object"] == "webhook_delivery_attempt"
    assert (attempt["status_code"], attempt["succeeded"], attempt["error"]) == (500, False, None)
    assert attempt["response_body"] == '{"received": true}' and attempt["latency_ms"] >= 0

    # Another mode's key sees none of it.
    assert live_api.get(f"/v1/webhook_deliveries/{failing['id']}").status == 404


def test_the_delivery_extensions_are_named_as_such_in_the_openapi_document():
    paths = document()["paths"]
    for path, method in [
        ("/v1/webhook_endpoints/{id}/deliveries", "get"),
        ("/v1/webhook_deliveries/{id}", "get"),
        ("/v1/webhook_deliveries/{id}/resend", "post"),
    ]:
        assert paths[path][method]["summary"].startswith("Seikyu extension:")
    assert "post" in paths["/v1/webhook_endpoints"] and "delete" in paths["/v1/webhook_endpoints/{id}"]
