"""Ids a caller chooses (products, coupons) name one object in each mode, as in Stripe: a catalog
rehearsed in test mode can be made again, with the same ids, in live mode, and each mode only ever
sees and uses its own."""

import pytest
from django.db import IntegrityError, connection, transaction

from seikyu.billing.models import Coupon, Discount, Price, Product


def test_a_chosen_product_id_names_one_product_in_each_mode(api, live_api):
    for client, name in ((api, "Standard (rehearsal)"), (live_api, "Standard")):
        assert client.ok("POST", "/v1/products", {"id": "prod_standard", "name": name})["id"] == "prod_standard"
    assert api.ok("GET", "/v1/products/prod_standard")["name"] == "Standard (rehearsal)"
    assert live_api.ok("GET", "/v1/products/prod_standard")["name"] == "Standard"

    api.ok("POST", "/v1/products/prod_standard", {"name": "Renamed in test"})
    assert live_api.ok("GET", "/v1/products/prod_standard")["name"] == "Standard"
    assert [p["name"] for p in live_api.ok("GET", "/v1/products")["data"]] == ["Standard"]
    assert [p["name"] for p in api.ok("GET", "/v1/products", {"ids[]": "prod_standard"})["data"]] == ["Renamed in test"]

    again = live_api.post("/v1/products", {"id": "prod_standard", "name": "Twice"})
    assert (again.status, again.error["code"], again.error["param"]) == (400, "resource_already_exists", "id")

    api.ok("DELETE", "/v1/products/prod_standard")
    assert api.get("/v1/products/prod_standard").status == 404
    assert live_api.ok("GET", "/v1/products/prod_standard")["name"] == "Standard"
    assert Product.objects.filter(id="prod_standard").count() == 2


def test_prices_belong_to_the_product_of_their_own_mode(api, live_api):
    api.ok("POST", "/v1/products", {"id": "prod_seats", "name": "Seats (test)"})
    test_price = api.ok("POST", "/v1/prices", {"product": "prod_seats", "currency": "jpy", "unit_amount": 500})
    missing = live_api.post("/v1/prices", {"product": "prod_seats", "currency": "jpy", "unit_amount": 1000})
    assert (missing.status, missing.error["code"], missing.error["param"]) == (404, "resource_missing", "product")

    live_api.ok("POST", "/v1/products", {"id": "prod_seats", "name": "Seats"})
    live_price = live_api.ok(
        "POST", "/v1/prices", {"product": "prod_seats", "currency": "jpy", "unit_amount": 1000, "expand[]": "product"}
    )
    assert (live_price["product"]["name"], live_price["product"]["livemode"]) == ("Seats", True)
    assert [p["id"] for p in live_api.ok("GET", "/v1/prices", {"product": "prod_seats"})["data"]] == [live_price["id"]]
    assert [p["id"] for p in api.ok("GET", "/v1/prices", {"product": "prod_seats"})["data"]] == [test_price["id"]]
    assert Price.objects.select_related("product").get(id=test_price["id"]).product.name == "Seats (test)"
    assert {p.id for p in Product.objects.get(livemode=True, id="prod_seats").prices.all()} == {live_price["id"]}

    # A product whose prices are in use cannot be deleted; the other mode's product is no excuse.
    assert live_api.delete("/v1/products/prod_seats").status == 400


def _invoice_with_coupon(client, coupon: str) -> dict:
    customer = client.ok("POST", "/v1/customers", {"name": "株式会社テスト"})
    client.ok("POST", "/v1/invoiceitems", {"customer": customer["id"], "amount": 10000, "currency": "jpy"})
    return client.ok(
        "POST",
        "/v1/invoices",
        {"customer": customer["id"], "discounts[0][coupon]": coupon, "pending_invoice_items_behavior": "include"},
    )


def test_a_chosen_coupon_id_discounts_with_the_coupon_of_its_own_mode(api, live_api):
    api.ok("POST", "/v1/coupons", {"id": "SPRING25", "percent_off": 50, "duration": "once"})
    only_in_test = live_api.post("/v1/invoices", {"customer": "cus_x", "discounts[0][coupon]": "SPRING25"})
    assert only_in_test.status in (400, 404)
    live_api.ok("POST", "/v1/coupons", {"id": "SPRING25", "percent_off": 25, "duration": "once"})

    assert _invoice_with_coupon(api, "SPRING25")["total"] == 5000
    assert _invoice_with_coupon(live_api, "SPRING25")["total"] == 7500

    live_code = live_api.ok("POST", "/v1/promotion_codes", {"promotion[coupon]": "SPRING25", "code": "SPRING"})
    assert live_code["promotion"]["coupon"] == "SPRING25"
    customer = live_api.ok("POST", "/v1/customers", {"name": "本番顧客"})
    live_api.ok("POST", "/v1/invoiceitems", {"customer": customer["id"], "amount": 10000, "currency": "jpy"})
    with_code = live_api.ok(
        "POST",
        "/v1/invoices",
        {
            "customer": customer["id"],
            "discounts[0][promotion_code]": live_code["id"],
            "pending_invoice_items_behavior": "include",
        },
    )
    assert with_code["total"] == 7500
    assert [c["id"] for c in api.ok("GET", "/v1/promotion_codes", {"coupon": "SPRING25"})["data"]] == []

    api.ok("DELETE", "/v1/coupons/SPRING25")
    assert live_api.ok("GET", "/v1/coupons/SPRING25")["percent_off"] == 25
    assert {(c.livemode, c.deleted_at is None) for c in Coupon.objects.filter(id="SPRING25")} == {
        (False, False),
        (True, True),
    }


@pytest.mark.django_db
def test_postgresql_refuses_a_price_for_a_product_of_the_other_mode(api):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite cannot add a two-column foreign key to an existing table")
    product = api.ok("POST", "/v1/products", {"id": "prod_only_test", "name": "Test only"})
    price = api.ok("POST", "/v1/prices", {"product": product["id"], "currency": "jpy", "unit_amount": 1})
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE billing_price SET livemode = true WHERE id = %s", [price["id"]])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_products_with_ids_of_any_shape_expand_on_their_prices(api):
    # A chosen id need not start with "prod_"; one that starts like another object's id is still
    # the product's.
    for product_id in ("standard", "price_lookalike"):
        api.ok("POST", "/v1/products", {"id": product_id, "name": product_id.title()})
        price = api.ok(
            "POST", "/v1/prices", {"product": product_id, "currency": "jpy", "unit_amount": 1, "expand[]": "product"}
        )
        assert (price["product"]["object"], price["product"]["id"]) == ("product", product_id)


@pytest.mark.django_db
def test_a_row_cannot_be_pointed_at_an_object_of_the_other_mode(api, live_api):
    api.ok("POST", "/v1/products", {"id": "prod_x", "name": "Test"})
    live_api.ok("POST", "/v1/products", {"id": "prod_x", "name": "Live"})
    live_api.ok("POST", "/v1/coupons", {"id": "HALF", "percent_off": 50})
    test_product = Product.objects.get(livemode=False, id="prod_x")
    price = Price(livemode=True, product=Product.objects.get(livemode=True, id="prod_x"))
    with pytest.raises(ValueError, match="same mode"):
        price.product = test_product
    assert (price.livemode, price.product.name) == (True, "Live")
    with pytest.raises(ValueError, match="same mode"):
        Discount(livemode=False, coupon=Coupon.objects.get(livemode=True, id="HALF"))
