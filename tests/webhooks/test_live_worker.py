"""End to end: an integrator registers an endpoint with the official SDK against a running Seikyu,
and the server's own worker delivers the events, signed, to a receiver on loopback."""

from __future__ import annotations

import time

import stripe

from .receiver import Receiver


def test_the_running_worker_delivers_signed_events_to_an_endpoint_made_with_the_sdk(stripe_client):
    receiver = Receiver()
    try:
        endpoint = stripe_client.v1.webhook_endpoints.create(
            params={"url": receiver.url, "enabled_events": ["customer.created", "customer.updated"]}
        )
        assert endpoint.secret.startswith("whsec_") and endpoint.status == "enabled"
        customer = stripe_client.v1.customers.create(params={"email": "hook@example.jp", "name": "受信"})
        stripe_client.v1.customers.update(customer.id, params={"name": "Receiver"})
        stripe_client.v1.products.create(params={"name": "not subscribed to"})

        deadline = time.monotonic() + 60
        while len(receiver.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        events = sorted(receiver.events(endpoint.secret), key=lambda e: e.id)
        assert [(e.type, e.data.object.id) for e in events] == [
            ("customer.created", customer.id),
            ("customer.updated", customer.id),
        ]
        assert events[1].data.previous_attributes.to_dict() == {"name": "受信"}

        # Once the worker has recorded the 2xx, the events have no pending webhook left.
        while time.monotonic() < deadline:
            pending = [stripe_client.v1.events.retrieve(e.id).pending_webhooks for e in events]
            if pending == [0, 0]:
                break
            time.sleep(0.1)
        assert pending == [0, 0]
        # The delivery log is a Seikyu extension: the SDK reaches it through raw_request.
        listed = stripe_client.raw_request("get", f"/v1/webhook_endpoints/{endpoint.id}/deliveries")
        deliveries = stripe_client.deserialize(listed, api_mode="V1")
        assert [d["status"] for d in deliveries["data"]] == ["succeeded", "succeeded"]

        stripe_client.v1.webhook_endpoints.delete(endpoint.id)
        try:
            stripe_client.v1.webhook_endpoints.retrieve(endpoint.id)
        except stripe.InvalidRequestError as exc:
            assert exc.http_status == 404
        else:
            raise AssertionError("the deleted endpoint is still there")
    finally:
        receiver.down()
