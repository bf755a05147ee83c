"""The live-server fixture itself: a real Seikyu answers on loopback the way Stripe does."""

from __future__ import annotations

import httpx
import stripe


def test_a_bad_key_gets_a_stripe_shaped_401_with_a_request_id(seikyu_server):
    response = httpx.get(f"{seikyu_server.base_url}/v1/customers", headers={"Authorization": "Bearer sk_test_nope"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"]
    assert response.headers["Request-Id"].startswith("req_")


def test_the_fixture_key_authenticates_and_both_processes_keep_running(seikyu_server):
    response = httpx.get(f"{seikyu_server.base_url}/v1/customers", auth=(seikyu_server.secret_key, ""))
    assert response.status_code == 200, response.text
    assert response.json()["object"] == "list"
    assert response.headers["Request-Id"].startswith("req_")
    seikyu_server.assert_running()


def test_the_sdk_fixtures_point_the_official_client_at_the_server(stripe_client, stripe_sdk):
    created = stripe_client.v1.customers.create(params={"name": "Smoke"})
    assert stripe.Customer.retrieve(created.id).name == "Smoke"
