"""Authentication, routing, error shapes and the request transaction."""

import base64

import pytest
from django.db import transaction

from api_support import ApiClient, api_key
from seikyu.api import routing
from seikyu.api.params import Params
from seikyu.api.services import create_api_key, revoke_api_key
from seikyu.billing.models import Product
from seikyu.billing.services import catalog
from seikyu.core.errors import CardError
from seikyu.events.models import Event


@pytest.fixture
def failing_route(monkeypatch):
    """A test-only endpoint that makes a change and then fails unexpectedly."""

    def explode(req, params: Params):
        catalog.create_product({"name": "half-made"}, livemode=req.livemode)
        raise RuntimeError("boom")

    route = routing.Route("POST", "/v1/test_explode", explode, Params, "product", "explode")
    routes = routing.discover()
    monkeypatch.setattr(routing, "discover", lambda: (route, *routes))
    return route


@pytest.fixture
def declining_route(monkeypatch):
    """A test-only endpoint that records something and then reports a decline, as ``/pay`` does."""

    def decline(req, params: Params):
        catalog.create_product({"name": "attempt record"}, livemode=req.livemode)
        with transaction.atomic():
            catalog.create_product({"name": "undone by its own block"}, livemode=req.livemode)
            raise CardError("Your card was declined.", code="card_declined", decline_code="generic_decline")

    route = routing.Route("POST", "/v1/test_decline", decline, Params, "product", "decline")
    routes = routing.discover()
    monkeypatch.setattr(routing, "discover", lambda: (route, *routes))
    return route


def test_a_decline_keeps_what_was_recorded(api, declining_route):
    r = api.post("/v1/test_decline", idempotency_key="decline-1")
    assert r.status == 402
    assert (r.error["type"], r.error["code"], r.error["decline_code"]) == (
        "card_error",
        "card_declined",
        "generic_decline",
    )
    assert Product.objects.filter(name="attempt record").exists()
    assert not Product.objects.filter(name="undone by its own block").exists()
    replay = api.post("/v1/test_decline", idempotency_key="decline-1")
    assert (replay.status, replay.json, replay.headers["Idempotent-Replayed"]) == (402, r.json, "true")
    assert Product.objects.filter(name="attempt record").count() == 1


def test_missing_key_is_401(db):
    r = ApiClient(None).get("/v1/customers")
    assert r.status == 401
    assert r.error["type"] == "invalid_request_error"
    assert "API key" in r.error["message"]
    assert r.headers["Request-Id"].startswith("req_")


def test_invalid_and_revoked_keys_are_401(db):
    assert ApiClient("sk_test_nope").get("/v1/customers").status == 401
    key, secret = create_api_key(livemode=False)
    assert ApiClient(secret).get("/v1/customers").status == 200
    revoke_api_key(key.id)
    r = ApiClient(secret).get("/v1/customers")
    assert r.status == 401
    assert secret not in r.error["message"]


def test_basic_auth_with_key_as_user_name(db):
    secret = api_key()
    token = base64.b64encode(f"{secret}:".encode()).decode()
    assert ApiClient(None, authorization=f"Basic {token}").get("/v1/customers").status == 200


def test_live_key_cannot_see_test_objects(api, live_api):
    test_customer = api.ok("POST", "/v1/customers", {"email": "t@example.com"})
    live_customer = live_api.ok("POST", "/v1/customers", {"email": "l@example.com"})
    assert (test_customer["livemode"], live_customer["livemode"]) == (False, True)
    r = live_api.get(f"/v1/customers/{test_customer['id']}")
    assert (r.status, r.error["code"]) == (404, "resource_missing")
    assert r.error["message"] == f"No such customer: '{test_customer['id']}'"
    assert [c["id"] for c in live_api.ok("GET", "/v1/customers")["data"]] == [live_customer["id"]]
    assert [c["id"] for c in api.ok("GET", "/v1/customers")["data"]] == [test_customer["id"]]
    assert live_api.post(f"/v1/customers/{test_customer['id']}", {"name": "x"}).status == 404
    events = live_api.ok("GET", "/v1/events")["data"]
    assert {e["data"]["object"]["id"] for e in events} == {live_customer["id"]}


def test_unknown_url_is_404_in_stripe_shape(api):
    r = api.get("/v1/nothing_here")
    assert r.status == 404
    assert r.error["type"] == "invalid_request_error"
    assert "Unrecognized request URL (GET: /v1/nothing_here)" in r.error["message"]
    assert r.headers["Request-Id"].startswith("req_")


def test_wrong_method_is_405_with_allow(api):
    r = api.request("PUT", "/v1/customers")
    assert r.status == 405
    assert set(r.headers["Allow"].split(", ")) == {"GET", "POST"}
    assert r.error["type"] == "invalid_request_error"


def test_every_response_has_its_own_request_id(api):
    ids = {
        api.get("/v1/customers").headers["Request-Id"],
        api.post("/v1/products", {}).headers["Request-Id"],
        api.get("/v1/customers/cus_missing").headers["Request-Id"],
        ApiClient(None).get("/v1/customers").headers["Request-Id"],
    }
    assert len(ids) == 4
    assert all(i.startswith("req_") for i in ids)


def test_unexpected_error_is_500_api_error_and_rolls_back(api, failing_route):
    r = api.post("/v1/test_explode")
    assert r.status == 500
    assert r.error["type"] == "api_error"
    assert "boom" not in r.error["message"]
    assert r.headers["Request-Id"].startswith("req_")
    assert not Product.objects.filter(name="half-made").exists()
    assert not Event.objects.filter(type="product.created").exists()


def test_service_error_rolls_back_everything_the_request_did(api):
    # product_data creates a product first; the bad tier then fails the whole request.
    r = api.post(
        "/v1/prices",
        {
            "currency": "jpy",
            "product_data": {"name": "ghost"},
            "billing_scheme": "tiered",
            "tiers_mode": "volume",
            "tiers": [{"up_to": 10, "unit_amount": 100}],
        },
    )
    assert (r.status, r.error["param"]) == (400, "tiers[0][up_to]")
    assert not Product.objects.filter(name="ghost").exists()
    assert Event.objects.count() == 0


def test_events_carry_the_request_id_and_idempotency_key(api):
    r = api.post("/v1/customers", {"email": "e@example.com"}, idempotency_key="create-e")
    event = api.ok("GET", "/v1/events", {"type": "customer.created"})["data"][0]
    assert event["request"] == {"id": r.headers["Request-Id"], "idempotency_key": "create-e"}
    assert r.headers["Idempotency-Key"] == "create-e"


def test_openapi_document_covers_every_route_without_a_key(db):
    r = ApiClient(None).get("/v1/openapi.json")
    assert r.status == 200
    doc = r.json
    for route in routing.discover():
        assert route.method.lower() in doc["paths"][route.path], route.path
    create = doc["paths"]["/v1/customers"]["post"]
    ref = create["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"email", "invoice_settings", "metadata", "tax_id_data"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False
