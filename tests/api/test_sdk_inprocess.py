"""The official ``stripe`` SDK driving the API in-process: its own request building, headers,
retries and response parsing, with Django's test client as the transport."""

from urllib.parse import urlsplit

import pytest
import stripe
from django.test import Client

from api_support import api_key


class InProcessHTTPClient(stripe.HTTPClient):
    name = "django-test-client"

    def __init__(self) -> None:
        super().__init__()
        self.client = Client()

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        extra = {k: v for k, v in (headers or {}).items() if k.lower() != "content-type"}
        response = self.client.generic(
            method.upper(),
            path,
            data=post_data or "",
            content_type=(headers or {}).get("Content-Type", "application/x-www-form-urlencoded"),
            headers=extra,
        )
        # Case-insensitive, as real HTTP libraries give them (the SDK reads "request-id").
        return response.content.decode(), response.status_code, response.headers

    def close(self) -> None:
        pass


@pytest.fixture
def client(db):
    return stripe.StripeClient(
        api_key(), http_client=InProcessHTTPClient(), base_addresses={"api": "http://testserver"}
    )


def test_catalog_and_customer_round_trip(client):
    product = client.v1.products.create({"name": "Pro", "metadata": {"plan": "pro"}})
    assert isinstance(product, stripe.Product)
    price = client.v1.prices.create(
        {
            "product": product.id,
            "currency": "jpy",
            "unit_amount": 5500,
            "recurring": {"interval": "month"},
            "lookup_key": "pro_monthly",
            "expand": ["product"],
        }
    )
    assert isinstance(price.product, stripe.Product) and price.product.name == "Pro"
    assert price.recurring.interval == "month"
    tax = client.v1.tax_rates.create({"display_name": "消費税", "percentage": 10.0, "inclusive": False})
    assert tax.percentage == 10
    coupon = client.v1.coupons.create({"percent_off": 10, "duration": "forever", "id": "TEN"})
    promo = client.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "TENOFF"})
    assert promo.promotion.coupon == "TEN"
    customer = client.v1.customers.create(
        {"email": "sdk@example.jp", "name": "SDK", "tax_id_data": [{"type": "jp_trn", "value": "T1234567890123"}]}
    )
    assert isinstance(customer, stripe.Customer)
    updated = client.v1.customers.update(customer.id, {"metadata": {"crm": "1"}, "description": "vip"})
    assert updated.metadata["crm"] == "1"
    tax_ids = client.v1.customers.tax_ids.list(customer.id)
    assert [t.value for t in tax_ids.data] == ["T1234567890123"]
    found = client.v1.prices.list({"lookup_keys": ["pro_monthly"]})
    assert [p.id for p in found.data] == [price.id]
    deleted = client.v1.customers.delete(customer.id)
    assert deleted.deleted is True


def test_auto_pagination_and_search(client):
    made = {client.v1.customers.create({"email": f"c{i}@example.com"}).id for i in range(25)}
    listed = [c.id for c in client.v1.customers.list({"limit": 7}).auto_paging_iter()]
    assert len(listed) == 25 and set(listed) == made
    searched = [c.id for c in client.v1.customers.search({"query": "email~'example'", "limit": 10}).auto_paging_iter()]
    assert sorted(searched) == sorted(made)


def test_errors_become_the_sdk_exceptions(client, db):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.customers.retrieve("cus_nope")
    assert missing.value.code == "resource_missing" and missing.value.http_status == 404
    assert missing.value.request_id.startswith("req_")
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.products.create({"name": "x", "colour": "red"})  # type: ignore[typeddict-unknown-key]
    assert (unknown.value.code, unknown.value.param) == ("parameter_unknown", "colour")
    bad = stripe.StripeClient(
        "sk_test_wrong", http_client=InProcessHTTPClient(), base_addresses={"api": "http://testserver"}
    )
    with pytest.raises(stripe.AuthenticationError):
        bad.v1.customers.list()


def test_sdk_idempotency_key_replays(client):
    first = client.v1.customers.create({"email": "idem@example.com"}, {"idempotency_key": "sdk-1"})
    second = client.v1.customers.create({"email": "idem@example.com"}, {"idempotency_key": "sdk-1"})
    assert first.id == second.id
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create({"email": "other@example.com"}, {"idempotency_key": "sdk-1"})
