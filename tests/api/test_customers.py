"""Customers, tax ids and customer discounts through ``/v1``, with their events."""

import datetime as dt

import pytest

from seikyu.billing import models
from seikyu.billing.models import Customer
from seikyu.core.clock import real_now, to_unix


def _events(api, event_type):
    return api.ok("GET", "/v1/events", {"type": event_type})["data"]


def test_create_retrieve_and_created_event(api):
    customer = api.ok(
        "POST",
        "/v1/customers",
        {
            "email": "yamada@example.jp",
            "name": "山田太郎",
            "address": {"country": "JP", "postal_code": "100-0001", "state": "東京都", "city": "千代田区"},
            "preferred_locales": ["ja", "en"],
            "invoice_settings": {
                "footer": "お振込手数料はご負担ください",
                "custom_fields": [{"name": "PO", "value": "42"}],
            },
            "tax_exempt": "none",
            "metadata": {"crm": "A-1"},
        },
    )
    assert customer["object"] == "customer"
    assert customer["id"].startswith("cus_")
    assert customer["address"]["line1"] is None and customer["address"]["state"] == "東京都"
    assert customer["invoice_settings"]["custom_fields"] == [{"name": "PO", "value": "42"}]
    assert customer["preferred_locales"] == ["ja", "en"]
    assert api.ok("GET", f"/v1/customers/{customer['id']}") == customer
    (event,) = _events(api, "customer.created")
    assert event["data"]["object"] == customer
    assert "previous_attributes" not in event["data"]


def test_update_emits_previous_attributes(api):
    customer = api.ok("POST", "/v1/customers", {"email": "old@example.com", "metadata": {"a": "1"}})
    updated = api.ok(
        "POST",
        f"/v1/customers/{customer['id']}",
        {"email": "new@example.com", "metadata": {"b": "2"}, "invoice_settings": {"footer": "thanks"}},
    )
    assert updated["metadata"] == {"a": "1", "b": "2"}
    (event,) = _events(api, "customer.updated")
    assert event["data"]["object"] == updated
    assert event["data"]["previous_attributes"] == {
        "email": "old@example.com",
        "metadata": {"a": "1"},
        "invoice_settings": {"footer": None},
    }


def test_update_without_change_emits_nothing(api):
    customer = api.ok("POST", "/v1/customers", {"email": "same@example.com"})
    api.ok("POST", f"/v1/customers/{customer['id']}", {"email": "same@example.com"})
    assert _events(api, "customer.updated") == []


def test_soft_delete(api):
    customer = api.ok("POST", "/v1/customers", {"email": "bye@example.com"})
    gone = api.ok("DELETE", f"/v1/customers/{customer['id']}")
    assert gone == {"id": customer["id"], "object": "customer", "deleted": True}
    assert api.ok("GET", f"/v1/customers/{customer['id']}") == gone
    assert api.ok("GET", "/v1/customers")["data"] == []
    assert api.post(f"/v1/customers/{customer['id']}", {"name": "x"}).status == 404
    assert api.delete(f"/v1/customers/{customer['id']}").status == 404
    (event,) = _events(api, "customer.deleted")
    assert event["data"]["object"]["email"] == "bye@example.com"
    assert Customer.objects.filter(pk=customer["id"]).exists()


def test_invoice_prefix_generated_or_validated_and_unique(api):
    generated = api.ok("POST", "/v1/customers", {})["invoice_prefix"]
    assert 3 <= len(generated) <= 12 and generated.isalnum() and generated.upper() == generated
    mine = api.ok("POST", "/v1/customers", {"invoice_prefix": "ACME"})
    assert mine["invoice_prefix"] == "ACME"
    for bad in ("ab", "acme", "TOO-LONG", "ABCDEFGHIJKLM"):
        r = api.post("/v1/customers", {"invoice_prefix": bad})
        assert (r.status, r.error["param"]) == (400, "invoice_prefix"), bad
    taken = api.post("/v1/customers", {"invoice_prefix": "ACME"})
    assert (taken.status, taken.error["param"]) == (400, "invoice_prefix")
    assert api.ok("POST", f"/v1/customers/{mine['id']}", {"invoice_prefix": "ACME"})["invoice_prefix"] == "ACME"


def test_list_filters(api):
    a = api.ok("POST", "/v1/customers", {"email": "a@example.com"})
    api.ok("POST", "/v1/customers", {"email": "b@example.com"})
    assert [c["id"] for c in api.ok("GET", "/v1/customers", {"email": "a@example.com"})["data"]] == [a["id"]]


@pytest.fixture
def clock(db):
    frozen = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    return models.TestClock.objects.create(
        id="clock_test1",
        livemode=False,
        created=real_now(),
        frozen_time=frozen,
        deletes_after=frozen + dt.timedelta(days=30),
    )


def test_customer_on_a_test_clock_lives_in_its_time(api, clock):
    customer = api.ok("POST", "/v1/customers", {"test_clock": clock.id})
    assert customer["test_clock"] == clock.id
    assert customer["created"] == to_unix(clock.frozen_time)
    listed = api.ok("GET", "/v1/customers", {"test_clock": clock.id})["data"]
    assert [c["id"] for c in listed] == [customer["id"]]


def test_test_clock_must_exist_and_is_test_mode_only(api, live_api, clock):
    r = api.post("/v1/customers", {"test_clock": "clock_nope"})
    assert (r.status, r.error["param"]) == (404, "test_clock")
    r = live_api.post("/v1/customers", {"test_clock": clock.id})
    assert (r.status, r.error["param"]) == (400, "test_clock")


def test_default_payment_method_must_belong_to_the_customer(api):
    customer = api.ok("POST", "/v1/customers", {})
    r = api.post(f"/v1/customers/{customer['id']}", {"invoice_settings": {"default_payment_method": "pm_other"}})
    assert (r.status, r.error["param"]) == (400, "invoice_settings[default_payment_method]")


def test_custom_fields_limits(api):
    fields = [{"name": f"f{i}", "value": "v"} for i in range(5)]
    r = api.post("/v1/customers", {"invoice_settings": {"custom_fields": fields}})
    assert (r.status, r.error["param"]) == (400, "invoice_settings[custom_fields]")
    r = api.post("/v1/customers", {"invoice_settings": {"custom_fields": [{"name": "n" * 41, "value": "v"}]}})
    assert (r.status, r.error["param"]) == (400, "invoice_settings[custom_fields][0][name]")


# --------------------------------------------------------------------------- tax ids


def test_tax_ids_on_create_and_their_own_endpoints(api):
    customer = api.ok("POST", "/v1/customers", {"tax_id_data": [{"type": "jp_trn", "value": "T1234567890123"}]})
    base = f"/v1/customers/{customer['id']}/tax_ids"
    listed = api.ok("GET", base)
    assert listed["url"] == base
    (first,) = listed["data"]
    assert (first["type"], first["value"], first["country"]) == ("jp_trn", "T1234567890123", "JP")
    assert first["owner"] == {"customer": customer["id"], "type": "customer"}
    second = api.ok("POST", base, {"type": "eu_vat", "value": "DE123456789"})
    assert second["country"] == "DE"
    assert api.ok("GET", f"{base}/{second['id']}") == second
    assert api.ok("DELETE", f"{base}/{second['id']}") == {"id": second["id"], "object": "tax_id", "deleted": True}
    assert api.get(f"{base}/{second['id']}").status == 404
    assert [e["data"]["object"]["id"] for e in _events(api, "customer.tax_id.created")] == [second["id"], first["id"]]
    assert len(_events(api, "customer.tax_id.deleted")) == 1


def test_japanese_registration_numbers_are_checked(api):
    customer = api.ok("POST", "/v1/customers", {})
    r = api.post(f"/v1/customers/{customer['id']}/tax_ids", {"type": "jp_trn", "value": "1234567890123"})
    assert (r.status, r.error["param"]) == (400, "value")
    r = api.post("/v1/customers", {"tax_id_data": [{"type": "jp_trn", "value": "T12"}]})
    assert (r.status, r.error["param"]) == (400, "tax_id_data[0][value]")
    assert Customer.objects.count() == 1


def test_tax_ids_of_another_customer_are_missing(api):
    a = api.ok("POST", "/v1/customers", {"tax_id_data": [{"type": "jp_trn", "value": "T1234567890123"}]})
    b = api.ok("POST", "/v1/customers", {})
    tax_id = api.ok("GET", f"/v1/customers/{a['id']}/tax_ids")["data"][0]["id"]
    assert api.get(f"/v1/customers/{b['id']}/tax_ids/{tax_id}").status == 404
    assert api.delete(f"/v1/customers/{b['id']}/tax_ids/{tax_id}").status == 404


# --------------------------------------------------------------------------- discounts


def test_coupon_discount_lifecycle(api):
    api.ok(
        "POST", "/v1/coupons", {"id": "WELCOME", "percent_off": 20, "duration": "repeating", "duration_in_months": 3}
    )
    customer = api.ok("POST", "/v1/customers", {"coupon": "WELCOME"})
    discount = customer["discount"]
    assert discount["object"] == "discount" and discount["id"].startswith("di_")
    assert discount["source"] == {"coupon": "WELCOME", "type": "coupon"}
    assert discount["end"] > discount["start"] + 89 * 86400
    assert api.ok("GET", "/v1/coupons/WELCOME")["times_redeemed"] == 1
    assert len(_events(api, "customer.discount.created")) == 1

    removed = api.ok("DELETE", f"/v1/customers/{customer['id']}/discount")
    assert removed["id"] == discount["id"] and removed["deleted"] is True
    assert api.ok("GET", f"/v1/customers/{customer['id']}")["discount"] is None
    assert len(_events(api, "customer.discount.deleted")) == 1
    r = api.delete(f"/v1/customers/{customer['id']}/discount")
    assert (r.status, r.error["code"]) == (404, "resource_missing")


def test_switching_coupons_is_a_discount_update(api):
    api.ok("POST", "/v1/coupons", {"id": "A10", "percent_off": 10})
    api.ok("POST", "/v1/coupons", {"id": "B500", "amount_off": 500, "currency": "jpy"})
    customer = api.ok("POST", "/v1/customers", {"coupon": "A10"})
    switched = api.ok("POST", f"/v1/customers/{customer['id']}", {"coupon": "B500"})
    assert switched["discount"]["source"]["coupon"] == "B500"
    (event,) = _events(api, "customer.discount.updated")
    assert event["data"]["previous_attributes"]["source"] == {"coupon": "A10"}
    cleared = api.ok("POST", f"/v1/customers/{customer['id']}", {"coupon": ""})
    assert cleared["discount"] is None


def test_promotion_code_on_customer(api):
    api.ok("POST", "/v1/coupons", {"id": "SUMMER", "percent_off": 15})
    promo = api.ok(
        "POST",
        "/v1/promotion_codes",
        {"promotion": {"type": "coupon", "coupon": "SUMMER"}, "code": "HOT", "max_redemptions": 1},
    )
    customer = api.ok("POST", "/v1/customers", {"promotion_code": promo["id"]})
    assert customer["discount"]["promotion_code"] == promo["id"]
    assert customer["discount"]["source"]["coupon"] == "SUMMER"
    assert api.ok("GET", f"/v1/promotion_codes/{promo['id']}")["times_redeemed"] == 1
    r = api.post("/v1/customers", {"promotion_code": promo["id"]})
    assert (r.status, r.error["param"]) == (400, "promotion_code")


def test_invalid_coupons_are_refused(api):
    r = api.post("/v1/customers", {"coupon": "NOPE"})
    assert (r.status, r.error["param"]) == (404, "coupon")
    api.ok("POST", "/v1/coupons", {"id": "ONCE", "percent_off": 5, "max_redemptions": 1})
    api.ok("POST", "/v1/customers", {"coupon": "ONCE"})
    r = api.post("/v1/customers", {"coupon": "ONCE"})
    assert (r.status, r.error["code"]) == (400, "coupon_expired")
    assert Customer.objects.count() == 1


def test_payment_method_on_create_can_become_the_default(api):
    customer = api.ok(
        "POST",
        "/v1/customers",
        {"payment_method": "pm_card_visa", "invoice_settings": {"default_payment_method": "pm_card_visa"}},
    )
    default = customer["invoice_settings"]["default_payment_method"]
    assert default.startswith("pm_") and default != "pm_card_visa"
    attached = api.ok("GET", "/v1/events", {"type": "payment_method.attached"})["data"]
    assert [e["data"]["object"]["id"] for e in attached] == [default]
    r = api.post("/v1/customers", {"payment_method": "pm_nope"})
    assert r.status == 404 and r.error["param"] == "payment_method"


def test_deleting_a_customer_cancels_their_subscriptions(api):
    price = api.ok(
        "POST",
        "/v1/prices",
        {
            "currency": "jpy",
            "unit_amount": 1000,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Monthly"},
        },
    )
    customer = api.ok(
        "POST",
        "/v1/customers",
        {"payment_method": "pm_card_visa", "invoice_settings": {"default_payment_method": "pm_card_visa"}},
    )
    subscription = api.ok("POST", "/v1/subscriptions", {"customer": customer["id"], "items": [{"price": price["id"]}]})
    assert subscription["status"] == "active"
    api.ok("DELETE", f"/v1/customers/{customer['id']}")
    assert api.ok("GET", f"/v1/subscriptions/{subscription['id']}")["status"] == "canceled"
    (event,) = api.ok("GET", "/v1/events", {"type": "customer.subscription.deleted"})["data"]
    assert event["data"]["object"]["id"] == subscription["id"]
