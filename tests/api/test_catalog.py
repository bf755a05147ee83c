"""Products, prices, tax rates, coupons and promotion codes through ``/v1``."""

import datetime as dt

from seikyu.billing.models import Price, Product
from seikyu.core.clock import real_now, to_unix


def _events(api, event_type):
    return api.ok("GET", "/v1/events", {"type": event_type})["data"]


# --------------------------------------------------------------------------- products


def test_product_crud_and_events(api):
    product = api.ok(
        "POST",
        "/v1/products",
        {
            "name": "Standard",
            "description": "月額プラン",
            "unit_label": "seat",
            "marketing_features": [{"name": "Support"}],
            "metadata": {"tier": "2"},
        },
    )
    assert product["object"] == "product" and product["id"].startswith("prod_")
    assert product["marketing_features"] == [{"name": "Support"}]
    assert api.ok("GET", f"/v1/products/{product['id']}") == product
    updated = api.ok("POST", f"/v1/products/{product['id']}", {"name": "Standard+", "description": ""})
    assert (updated["name"], updated["description"]) == ("Standard+", None)
    (event,) = _events(api, "product.updated")
    assert event["data"]["previous_attributes"]["name"] == "Standard"
    assert event["data"]["previous_attributes"]["description"] == "月額プラン"
    assert api.ok("DELETE", f"/v1/products/{product['id']}") == {
        "id": product["id"],
        "object": "product",
        "deleted": True,
    }
    assert api.get(f"/v1/products/{product['id']}").status == 404
    assert [e["type"] for e in api.ok("GET", "/v1/events", {"type": "product.*"})["data"]] == [
        "product.deleted",
        "product.updated",
        "product.created",
    ]


def test_custom_product_id(api):
    assert api.ok("POST", "/v1/products", {"id": "plan_gold", "name": "Gold"})["id"] == "plan_gold"
    r = api.post("/v1/products", {"id": "plan_gold", "name": "Gold again"})
    assert (r.status, r.error["code"]) == (400, "resource_already_exists")


def test_product_with_prices_cannot_be_deleted(api):
    product = api.ok("POST", "/v1/products", {"name": "P", "default_price_data": {"currency": "jpy", "unit_amount": 1}})
    r = api.delete(f"/v1/products/{product['id']}")
    assert r.status == 400
    assert Product.objects.get(id=product["id"]).deleted_at is None


def test_default_price_must_belong_to_the_product(api):
    a = api.ok("POST", "/v1/products", {"name": "A", "default_price_data": {"currency": "jpy", "unit_amount": 1}})
    b = api.ok("POST", "/v1/products", {"name": "B"})
    r = api.post(f"/v1/products/{b['id']}", {"default_price": a["default_price"]})
    assert (r.status, r.error["param"]) == (400, "default_price")


def test_product_list_filters(api):
    a = api.ok("POST", "/v1/products", {"name": "A"})
    b = api.ok("POST", "/v1/products", {"name": "B", "active": False})
    assert [p["id"] for p in api.ok("GET", "/v1/products", {"active": False})["data"]] == [b["id"]]
    assert [p["id"] for p in api.ok("GET", "/v1/products", {"ids": [a["id"]]})["data"]] == [a["id"]]


# --------------------------------------------------------------------------- prices


def test_recurring_price(api):
    price = api.ok(
        "POST",
        "/v1/prices",
        {
            "currency": "JPY",
            "unit_amount": 5500,
            "tax_behavior": "inclusive",
            "recurring": {"interval": "month"},
            "product_data": {"name": "Pro"},
        },
    )
    assert price["currency"] == "jpy"
    assert price["type"] == "recurring"
    assert price["recurring"] == {
        "interval": "month",
        "interval_count": 1,
        "meter": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }
    assert price["unit_amount_decimal"] == "5500"
    # One transaction, one timestamp: both events, in no promised order.
    assert {e["type"] for e in api.ok("GET", "/v1/events")["data"]} == {"price.created", "product.created"}


def test_one_time_usd_price_from_decimal_string(api):
    product = api.ok("POST", "/v1/products", {"name": "Setup"})
    price = api.ok("POST", "/v1/prices", {"currency": "usd", "unit_amount_decimal": "1999", "product": product["id"]})
    assert (price["type"], price["unit_amount"], price["recurring"]) == ("one_time", 1999, None)
    for bad in ("19.5", "abc"):
        r = api.post("/v1/prices", {"currency": "usd", "unit_amount_decimal": bad, "product": product["id"]})
        assert (r.status, r.error["param"]) == (400, "unit_amount_decimal"), bad


def test_price_requires_amount_and_product(api):
    product = api.ok("POST", "/v1/products", {"name": "X"})
    r = api.post("/v1/prices", {"currency": "jpy", "product": product["id"]})
    assert (r.status, r.error["code"], r.error["param"]) == (400, "parameter_missing", "unit_amount")
    r = api.post("/v1/prices", {"currency": "jpy", "unit_amount": 1})
    assert (r.status, r.error["param"]) == (400, "product")
    r = api.post("/v1/prices", {"currency": "yen!", "unit_amount": 1, "product": product["id"]})
    assert (r.status, r.error["param"]) == (400, "currency")
    r = api.post(
        "/v1/prices",
        {
            "currency": "jpy",
            "unit_amount": 1,
            "product": product["id"],
            "recurring": {"interval": "month", "interval_count": 37},
        },
    )
    assert (r.status, r.error["param"]) == (400, "recurring[interval_count]")


def test_tiered_price_validation(api):
    product = api.ok("POST", "/v1/products", {"name": "API calls"})
    base = {"currency": "jpy", "product": product["id"], "billing_scheme": "tiered", "tiers_mode": "graduated"}
    price = api.ok(
        "POST",
        "/v1/prices",
        {
            **base,
            "tiers": [
                {"up_to": 1000, "unit_amount": 0, "flat_amount": 3000},
                {"up_to": "inf", "unit_amount": 2},
            ],
        },
    )
    assert price["tiers"][0]["up_to"] == 1000 and price["tiers"][1]["up_to"] is None
    assert price["tiers"][0]["flat_amount_decimal"] == "3000"
    assert price["unit_amount"] is None
    bad = [
        ([{"up_to": 10, "unit_amount": 1}], "tiers[0][up_to]"),
        ([{"up_to": "inf", "unit_amount": 1}, {"up_to": 10, "unit_amount": 1}], "tiers[0][up_to]"),
        (
            [{"up_to": 10, "unit_amount": 1}, {"up_to": 5, "unit_amount": 1}, {"up_to": "inf", "unit_amount": 1}],
            "tiers[1][up_to]",
        ),
        ([{"up_to": 10}, {"up_to": "inf", "unit_amount": 1}], "tiers[0][unit_amount]"),
    ]
    for tiers, param in bad:
        r = api.post("/v1/prices", {**base, "tiers": tiers})
        assert (r.status, r.error["param"]) == (400, param), tiers
    r = api.post("/v1/prices", {**base, "tiers_mode": "", "tiers": [{"up_to": "inf", "unit_amount": 1}]})
    assert (r.status, r.error["param"]) == (400, "tiers_mode")
    assert Price.objects.count() == 1


def test_lookup_keys_and_transfer(api):
    product = api.ok("POST", "/v1/products", {"name": "Plan"})
    v1 = api.ok(
        "POST",
        "/v1/prices",
        {"currency": "jpy", "unit_amount": 1000, "product": product["id"], "lookup_key": "plan_monthly"},
    )
    r = api.post(
        "/v1/prices", {"currency": "jpy", "unit_amount": 1200, "product": product["id"], "lookup_key": "plan_monthly"}
    )
    assert (r.status, r.error["param"]) == (400, "lookup_key")
    v2 = api.ok(
        "POST",
        "/v1/prices",
        {
            "currency": "jpy",
            "unit_amount": 1200,
            "product": product["id"],
            "lookup_key": "plan_monthly",
            "transfer_lookup_key": True,
        },
    )
    found = api.ok("GET", "/v1/prices", {"lookup_keys": ["plan_monthly", "other"]})["data"]
    assert [p["id"] for p in found] == [v2["id"]]
    assert api.ok("GET", f"/v1/prices/{v1['id']}")["lookup_key"] is None
    (moved,) = _events(api, "price.updated")
    assert moved["data"]["object"]["id"] == v1["id"]
    assert moved["data"]["previous_attributes"] == {"lookup_key": "plan_monthly"}


def test_price_update_rules_and_filters(api):
    product = api.ok("POST", "/v1/products", {"name": "Plan"})
    monthly = api.ok(
        "POST",
        "/v1/prices",
        {"currency": "jpy", "unit_amount": 1000, "product": product["id"], "recurring": {"interval": "month"}},
    )
    yearly = api.ok(
        "POST",
        "/v1/prices",
        {
            "currency": "jpy",
            "unit_amount": 10000,
            "product": product["id"],
            "recurring": {"interval": "year"},
            "tax_behavior": "exclusive",
        },
    )
    usd = api.ok("POST", "/v1/prices", {"currency": "usd", "unit_amount": 10, "product": product["id"]})
    updated = api.ok(
        "POST", f"/v1/prices/{monthly['id']}", {"active": False, "nickname": "old", "tax_behavior": "inclusive"}
    )
    assert (updated["active"], updated["nickname"], updated["tax_behavior"]) == (False, "old", "inclusive")
    r = api.post(f"/v1/prices/{yearly['id']}", {"tax_behavior": "inclusive"})
    assert (r.status, r.error["param"]) == (400, "tax_behavior")
    r = api.post(f"/v1/prices/{yearly['id']}", {"unit_amount": 1})
    assert (r.status, r.error["code"]) == (400, "parameter_unknown")
    assert api.delete(f"/v1/prices/{yearly['id']}").status == 405

    def ids(params):
        return [p["id"] for p in api.ok("GET", "/v1/prices", params)["data"]]

    assert ids({"active": True}) == [usd["id"], yearly["id"]]
    assert ids({"currency": "usd"}) == [usd["id"]]
    assert ids({"type": "one_time"}) == [usd["id"]]
    assert ids({"recurring": {"interval": "year"}}) == [yearly["id"]]
    assert ids({"product": product["id"], "limit": 1}) == [usd["id"]]


# --------------------------------------------------------------------------- tax rates


def test_tax_rates_for_japan(api):
    standard = api.ok(
        "POST",
        "/v1/tax_rates",
        {"display_name": "消費税", "percentage": "10", "inclusive": False, "country": "JP", "tax_type": "jct"},
    )
    reduced = api.ok("POST", "/v1/tax_rates", {"display_name": "消費税（軽減）", "percentage": "8", "inclusive": True})
    assert (standard["percentage"], standard["object"], standard["tax_type"]) == (10, "tax_rate", "jct")
    assert reduced["inclusive"] is True and reduced["percentage"] == 8
    odd = api.ok("POST", "/v1/tax_rates", {"display_name": "VAT", "percentage": "8.875", "inclusive": False})
    assert odd["percentage"] == 8.875
    assert [t["id"] for t in api.ok("GET", "/v1/tax_rates", {"inclusive": True})["data"]] == [reduced["id"]]


def test_tax_rate_percentage_is_immutable(api):
    rate = api.ok("POST", "/v1/tax_rates", {"display_name": "JCT", "percentage": 10, "inclusive": False})
    r = api.post(f"/v1/tax_rates/{rate['id']}", {"percentage": 8})
    assert (r.status, r.error["code"], r.error["param"]) == (400, "parameter_unknown", "percentage")
    r = api.post(f"/v1/tax_rates/{rate['id']}", {"inclusive": True})
    assert r.error["code"] == "parameter_unknown"
    archived = api.ok("POST", f"/v1/tax_rates/{rate['id']}", {"active": False, "description": "old rate"})
    assert archived["active"] is False and archived["percentage"] == 10
    (event,) = _events(api, "tax_rate.updated")
    assert event["data"]["previous_attributes"] == {"active": True, "description": None}


def test_tax_rate_bounds(api):
    for bad in ("-1", "100.5", "1.00001", "ten"):
        r = api.post("/v1/tax_rates", {"display_name": "x", "percentage": bad, "inclusive": False})
        assert (r.status, r.error["param"]) == (400, "percentage"), bad


# --------------------------------------------------------------------------- coupons


def test_coupon_forms_and_validation(api):
    pct = api.ok("POST", "/v1/coupons", {"percent_off": "12.5", "duration": "forever", "name": "Friends"})
    assert pct["percent_off"] == 12.5 and pct["valid"] is True and pct["amount_off"] is None
    assert len(pct["id"]) == 8
    yen = api.ok("POST", "/v1/coupons", {"id": "YEN500", "amount_off": 500, "currency": "jpy", "duration": "once"})
    assert (yen["amount_off"], yen["currency"], yen["percent_off"]) == (500, "jpy", None)
    future = to_unix(real_now() + dt.timedelta(days=30))
    bad = [
        ({"percent_off": 10, "amount_off": 100, "currency": "jpy"}, "percent_off"),
        ({}, "percent_off"),
        ({"amount_off": 100}, "currency"),
        ({"percent_off": 101}, "percent_off"),
        ({"percent_off": 10, "duration": "repeating"}, "duration_in_months"),
        ({"percent_off": 10, "duration": "once", "duration_in_months": 2}, "duration_in_months"),
        ({"percent_off": 10, "redeem_by": to_unix(real_now()) - 10}, "redeem_by"),
        ({"percent_off": 10, "applies_to": {"products": ["prod_missing"]}}, "applies_to[products][0]"),
        ({"id": "YEN500", "percent_off": 10}, "id"),
    ]
    for params, param in bad:
        r = api.post("/v1/coupons", params)
        assert (r.status in (400, 404), r.error["param"]) == (True, param), params
    limited = api.ok("POST", "/v1/coupons", {"percent_off": 10, "redeem_by": future, "max_redemptions": 3})
    assert limited["redeem_by"] == future and limited["max_redemptions"] == 3


def test_coupon_update_and_delete(api):
    coupon = api.ok("POST", "/v1/coupons", {"id": "C1", "percent_off": 10})
    assert api.ok("POST", "/v1/coupons/C1", {"name": "Ten", "metadata": {"x": "y"}})["name"] == "Ten"
    r = api.post("/v1/coupons/C1", {"percent_off": 20})
    assert r.error["code"] == "parameter_unknown"
    assert api.ok("DELETE", "/v1/coupons/C1") == {"id": coupon["id"], "object": "coupon", "deleted": True}
    assert api.get("/v1/coupons/C1").status == 404
    assert api.ok("GET", "/v1/coupons")["data"] == []
    assert [e["type"] for e in api.ok("GET", "/v1/events", {"type": "coupon.*"})["data"]] == [
        "coupon.deleted",
        "coupon.updated",
        "coupon.created",
    ]


# --------------------------------------------------------------------------- promotion codes


def test_promotion_codes(api):
    api.ok("POST", "/v1/coupons", {"id": "SPRING", "percent_off": 20, "max_redemptions": 10})
    promo = api.ok(
        "POST",
        "/v1/promotion_codes",
        {
            "promotion": {"type": "coupon", "coupon": "SPRING"},
            "code": "SPRING-2027",
            "restrictions": {"first_time_transaction": True, "minimum_amount": 3000, "minimum_amount_currency": "JPY"},
        },
    )
    assert promo["id"].startswith("promo_")
    assert promo["promotion"] == {"coupon": "SPRING", "type": "coupon"}
    assert promo["restrictions"]["minimum_amount_currency"] == "jpy"
    assert promo["restrictions"]["first_time_transaction"] is True
    clash = api.post("/v1/promotion_codes", {"promotion": {"coupon": "SPRING"}, "code": "spring-2027"})
    assert (clash.status, clash.error["param"]) == (400, "code")
    off = api.ok("POST", f"/v1/promotion_codes/{promo['id']}", {"active": False})
    assert off["active"] is False
    again = api.ok("POST", "/v1/promotion_codes", {"promotion": {"coupon": "SPRING"}, "code": "spring-2027"})
    r = api.post(f"/v1/promotion_codes/{promo['id']}", {"active": True})
    assert (r.status, r.error["param"]) == (400, "code")
    assert [p["id"] for p in api.ok("GET", "/v1/promotion_codes", {"code": "SPRING-2027"})["data"]] == [
        again["id"],
        promo["id"],
    ]
    assert [p["id"] for p in api.ok("GET", "/v1/promotion_codes", {"active": True})["data"]] == [again["id"]]
    assert api.delete(f"/v1/promotion_codes/{promo['id']}").status == 405
    (event,) = _events(api, "promotion_code.updated")
    assert event["data"]["previous_attributes"] == {"active": True}


def test_promotion_code_validation(api):
    api.ok(
        "POST",
        "/v1/coupons",
        {
            "id": "LIMITED",
            "percent_off": 5,
            "max_redemptions": 2,
            "redeem_by": to_unix(real_now() + dt.timedelta(days=5)),
        },
    )
    generated = api.ok("POST", "/v1/promotion_codes", {"promotion": {"coupon": "LIMITED"}})
    assert len(generated["code"]) == 8
    bad = [
        ({}, "promotion"),
        ({"promotion": {"coupon": "NOPE"}}, "promotion[coupon]"),
        ({"promotion": {"coupon": "LIMITED"}, "code": "has space"}, "code"),
        ({"promotion": {"coupon": "LIMITED"}, "max_redemptions": 3}, "max_redemptions"),
        ({"promotion": {"coupon": "LIMITED"}, "expires_at": to_unix(real_now() + dt.timedelta(days=6))}, "expires_at"),
        (
            {"promotion": {"coupon": "LIMITED"}, "restrictions": {"minimum_amount": 100}},
            "restrictions[minimum_amount_currency]",
        ),
        ({"promotion": {"coupon": "LIMITED"}, "customer": "cus_nope"}, "customer"),
    ]
    for params, param in bad:
        r = api.post("/v1/promotion_codes", params)
        assert r.status in (400, 404) and r.error["param"] == param, (params, r.json)
