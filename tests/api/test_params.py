"""Stripe's nested form encoding and how bad parameters are reported."""

import pytest

from seikyu.api.params import decode
from seikyu.core.errors import InvalidRequest


def test_nested_hashes_and_indexed_arrays():
    pairs = [
        ("items[0][price]", "price_a"),
        ("items[0][quantity]", "2"),
        ("items[1][price]", "price_b"),
        ("metadata[plan]", "pro"),
        ("expand[0]", "customer"),
        ("expand[1]", "latest_invoice"),
    ]
    assert decode(pairs) == {
        "items": [{"price": "price_a", "quantity": "2"}, {"price": "price_b"}],
        "metadata": {"plan": "pro"},
        "expand": ["customer", "latest_invoice"],
    }


def test_bracket_append_form_used_by_curl():
    assert decode([("expand[]", "a"), ("expand[]", "b")]) == {"expand": ["a", "b"]}
    pairs = [("items[][price]", "p1"), ("items[][quantity]", "1"), ("items[][price]", "p2")]
    assert decode(pairs) == {"items": [{"price": "p1", "quantity": "1"}, {"price": "p2"}]}


def test_indexes_order_the_list_not_arrival():
    assert decode([("tiers[1][up_to]", "inf"), ("tiers[0][up_to]", "10")]) == {
        "tiers": [{"up_to": "10"}, {"up_to": "inf"}]
    }


def test_empty_string_means_unset():
    assert decode([("description", ""), ("metadata[old]", ""), ("name", "x")]) == {
        "description": None,
        "metadata": {"old": None},
        "name": "x",
    }
    assert decode([("metadata", "")]) == {"metadata": None}


def test_numeric_metadata_keys_stay_keys():
    assert decode([("metadata[0]", "zero"), ("metadata[7]", "seven")]) == {"metadata": {"0": "zero", "7": "seven"}}


def test_value_and_hash_for_one_name_is_rejected():
    with pytest.raises(InvalidRequest) as err:
        decode([("address", "x"), ("address[city]", "Tokyo")])
    assert err.value.param == "address"


def test_malformed_key_is_kept_whole_and_later_unknown():
    assert decode([("a[b", "1")]) == {"a[b": "1"}


# --------------------------------------------------------------------------- through the API


def test_unknown_nested_param_names_its_exact_path(api):
    r = api.post(
        "/v1/prices",
        {"currency": "jpy", "product": "prod_x", "billing_scheme": "tiered", "tiers": [{"up_to": 5, "amount": 1}]},
    )
    assert r.status == 400
    assert r.error["code"] == "parameter_unknown"
    assert r.error["param"] == "tiers[0][amount]"
    assert r.error["message"] == "Received unknown parameter: tiers[0][amount]"


def test_invalid_integer_names_its_exact_path(api):
    r = api.post("/v1/prices", {"currency": "jpy", "product": "prod_x", "tiers": [{"up_to": 5}, {"up_to": "lots"}]})
    assert r.status == 400
    # ``up_to`` is an integer or "inf": the union tag must not leak into the path.
    assert r.error["param"] == "tiers[1][up_to]"
    r = api.post("/v1/prices", {"currency": "jpy", "product": "prod_x", "unit_amount": "12a"})
    assert (r.error["code"], r.error["param"], r.error["message"]) == (
        "parameter_invalid_integer",
        "unit_amount",
        "Invalid integer: 12a",
    )


def test_missing_required_param(api):
    r = api.post("/v1/products", {"description": "no name"})
    assert r.status == 400
    assert (r.error["code"], r.error["param"]) == ("parameter_missing", "name")
    r = api.post("/v1/customers/cus_x/tax_ids", {"type": "jp_trn"})
    assert (r.error["code"], r.error["param"]) == ("parameter_missing", "value")


def test_empty_string_for_required_param(api):
    r = api.post("/v1/products", {"name": ""})
    assert (r.status, r.error["code"], r.error["param"]) == (400, "parameter_invalid_empty", "name")


def test_invalid_boolean_and_enum(api):
    r = api.post("/v1/products", {"name": "x", "active": "maybe"})
    assert (r.status, r.error["param"], r.error["message"]) == (400, "active", "Invalid boolean: maybe")
    r = api.post("/v1/customers", {"tax_exempt": "sometimes"})
    assert r.status == 400
    assert r.error["param"] == "tax_exempt"
    assert "exempt" in r.error["message"]


def test_booleans_are_words(api):
    product = api.ok("POST", "/v1/products", {"name": "x", "active": False})
    assert product["active"] is False
    assert api.ok("POST", f"/v1/products/{product['id']}", {"active": True})["active"] is True


def test_limit_bounds(api):
    for bad in (0, 101):
        r = api.get("/v1/customers", {"limit": bad})
        assert (r.status, r.error["param"]) == (400, "limit")


def test_raw_bracket_forms_and_query_strings(api):
    created = api.post("/v1/customers", raw="email=a%40example.com&metadata[k]=v&preferred_locales[]=ja")
    assert created.status == 200
    assert created.json["metadata"] == {"k": "v"}
    assert created.json["preferred_locales"] == ["ja"]
    listed = api.get("/v1/customers", raw="expand[]=data.test_clock&limit=1")
    assert listed.status == 200 and listed.json["data"][0]["id"] == created.json["id"]


def test_empty_values_clear_fields_and_metadata_keys(api):
    customer = api.ok(
        "POST", "/v1/customers", {"description": "vip", "metadata": {"a": "1", "b": "2"}, "phone": "0312345678"}
    )
    updated = api.ok("POST", f"/v1/customers/{customer['id']}", {"description": "", "metadata": {"a": ""}})
    assert updated["description"] is None
    assert updated["metadata"] == {"b": "2"}
    assert updated["phone"] == "0312345678"
    cleared = api.ok("POST", f"/v1/customers/{customer['id']}", raw="metadata=")
    assert cleared["metadata"] == {}


def test_metadata_limits(api):
    r = api.post("/v1/customers", {"metadata": {"k" * 41: "v"}})
    assert (r.status, r.error["param"]) == (400, f"metadata[{'k' * 41}]")
    r = api.post("/v1/customers", {"metadata": {"k": "v" * 501}})
    assert (r.status, r.error["param"]) == (400, "metadata[k]")
    r = api.post("/v1/customers", {"metadata": {f"k{i}": "v" for i in range(51)}})
    assert (r.status, r.error["param"]) == (400, "metadata")
    ok = api.post("/v1/customers", {"metadata": {f"k{i}": "v" for i in range(50)}})
    assert ok.status == 200
    again = api.post(f"/v1/customers/{ok.json['id']}", {"metadata": {"one_more": "v"}})
    assert (again.status, again.error["param"]) == (400, "metadata")


def test_json_bodies_are_refused_clearly(api):
    r = api.client.generic(
        "POST",
        "/v1/customers",
        data='{"email": "a@example.com"}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.secret}"},
    )
    assert r.status_code == 400
    assert "Content-Type" in r.json()["error"]["message"]
