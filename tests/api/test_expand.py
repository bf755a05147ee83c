"""``expand[]`` on objects, lists and nested paths."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from seikyu.api.expand import expand


def _product_with_price(api, name="Pro", amount=5000):
    return api.ok(
        "POST",
        "/v1/products",
        {
            "name": name,
            "default_price_data": {"currency": "jpy", "unit_amount": amount, "recurring": {"interval": "month"}},
        },
    )


def test_expand_replaces_an_id_by_its_object(api):
    product = _product_with_price(api)
    got = api.ok("GET", f"/v1/products/{product['id']}", {"expand": ["default_price"]})
    assert got["default_price"]["object"] == "price"
    assert got["default_price"]["id"] == product["default_price"]
    assert got["default_price"]["unit_amount"] == 5000


def test_expand_on_create_responses(api):
    product = _product_with_price(api)
    price = api.ok(
        "POST", "/v1/prices", {"currency": "jpy", "unit_amount": 100, "product": product["id"], "expand": ["product"]}
    )
    assert price["product"]["name"] == "Pro"


def test_nested_expand_two_levels(api):
    product = _product_with_price(api)
    got = api.ok("GET", f"/v1/products/{product['id']}", {"expand": ["default_price.product"]})
    assert got["default_price"]["product"]["id"] == product["id"]
    assert got["default_price"]["product"]["default_price"] == product["default_price"]


def test_lists_expand_with_data_prefix_in_constant_queries(api):
    for i in range(3):
        _product_with_price(api, name=f"p{i}", amount=100 + i)
    with CaptureQueriesContext(connection) as few:
        api.ok("GET", "/v1/products", {"limit": 1, "expand": ["data.default_price"]})
    for i in range(3, 12):
        _product_with_price(api, name=f"p{i}", amount=100 + i)
    with CaptureQueriesContext(connection) as many:
        page = api.ok("GET", "/v1/products", {"limit": 12, "expand": ["data.default_price"]})
    assert all(p["default_price"]["object"] == "price" for p in page["data"])
    assert len(many) == len(few)


def test_expand_without_data_prefix_on_a_list_is_an_error(api):
    _product_with_price(api)
    r = api.get("/v1/products", {"expand": ["default_price"]})
    assert (r.status, r.error["param"]) == (400, "expand")


def test_non_expandable_and_too_deep_paths(api):
    product = _product_with_price(api)
    r = api.get(f"/v1/products/{product['id']}", {"expand": ["name"]})
    assert r.status == 400 and "cannot be expanded" in r.error["message"]
    r = api.get(f"/v1/products/{product['id']}", {"expand": ["nothing"]})
    assert r.status == 400
    r = api.get(f"/v1/products/{product['id']}", {"expand": ["default_price.product.default_price.product.x"]})
    assert r.status == 400 and "4 levels" in r.error["message"]


def test_null_fields_expand_to_null(api):
    product = api.ok("POST", "/v1/products", {"name": "No price"})
    assert api.ok("GET", f"/v1/products/{product['id']}", {"expand": ["default_price"]})["default_price"] is None


def test_free_form_coupon_ids_expand_through_the_discount(api):
    api.ok("POST", "/v1/coupons", {"id": "SPRING25", "percent_off": 25, "duration": "forever"})
    customer = api.ok("POST", "/v1/customers", {"coupon": "SPRING25"})
    got = api.ok("GET", f"/v1/customers/{customer['id']}", {"expand": ["discount.source.coupon"]})
    assert got["discount"]["source"]["coupon"]["percent_off"] == 25


def test_expand_inside_event_payloads(api):
    _product_with_price(api)
    event = api.ok("GET", "/v1/events", {"type": "price.created", "expand": ["data.data.object.product"]})["data"][0]
    assert event["data"]["object"]["product"]["object"] == "product"


def test_expand_never_crosses_modes(api):
    test_product = _product_with_price(api)
    # A live-mode request cannot pull a test object into its response, even by naming its id.
    result = expand({"product": test_product["id"]}, ["product"], livemode=True)
    assert result["product"] == test_product["id"]
    assert expand({"product": test_product["id"]}, ["product"], livemode=False)["product"]["name"] == "Pro"


def test_expand_through_a_nested_list(api):
    price = api.ok(
        "POST",
        "/v1/prices",
        {
            "currency": "jpy",
            "unit_amount": 1000,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Nested"},
        },
    )
    customer = api.ok(
        "POST",
        "/v1/customers",
        {"payment_method": "pm_card_visa", "invoice_settings": {"default_payment_method": "pm_card_visa"}},
    )
    sub = api.ok(
        "POST",
        "/v1/subscriptions",
        {
            "customer": customer["id"],
            "items": [{"price": price["id"]}],
            "expand": ["items.data.price.product", "customer"],
        },
    )
    assert sub["items"]["object"] == "list"
    assert sub["items"]["url"].startswith("/v1/subscription_items")
    assert sub["items"]["data"][0]["price"]["product"]["name"] == "Nested"
    assert sub["customer"]["id"] == customer["id"]
