"""Cursor pagination and ``created`` filters."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from seikyu.billing.services import catalog
from seikyu.core.clock import pinned, to_unix

T0 = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def many_products(db):
    """250 products, many sharing a second, so cursors must break ties by id."""
    ids = []
    for i in range(250):
        with pinned(T0 + dt.timedelta(seconds=i // 7)):
            ids.append(catalog.create_product({"name": f"p{i}"}, livemode=False).id)
    return ids


def _walk(api, params, direction="starting_after"):
    seen, cursor, pages = [], None, 0
    while True:
        query = dict(params)
        if cursor:
            query[direction] = cursor
        page = api.ok("GET", "/v1/products", query)
        pages += 1
        items = [p["id"] for p in page["data"]]
        seen.extend(items if direction == "starting_after" else reversed(items))
        if not page["has_more"]:
            return seen, pages
        cursor = items[-1] if direction == "starting_after" else items[0]


def test_walking_forward_visits_every_object_once_newest_first(api, many_products):
    seen, pages = _walk(api, {"limit": 100})
    assert len(seen) == 250 == len(set(seen))
    assert set(seen) == set(many_products)
    assert pages == 3
    created = [api.ok("GET", f"/v1/products/{pid}")["created"] for pid in seen[::25]]
    assert created == sorted(created, reverse=True)


def test_walking_backward_with_ending_before(api, many_products):
    forward, _ = _walk(api, {"limit": 33})
    oldest = forward[-1]
    seen, cursor = [], oldest
    while True:
        page = api.ok("GET", "/v1/products", {"limit": 33, "ending_before": cursor})
        ids = [p["id"] for p in page["data"]]
        # Within a page the order stays newest first.
        assert ids == [i for i in forward if i in set(ids)]
        seen = ids + seen
        if not page["has_more"]:
            break
        cursor = ids[0]
    assert seen == forward[:-1]


def test_page_shape_and_default_limit(api, many_products):
    page = api.ok("GET", "/v1/products")
    assert page["object"] == "list"
    assert page["url"] == "/v1/products"
    assert len(page["data"]) == 10
    assert page["has_more"] is True


def test_unknown_cursor_is_resource_missing(api, many_products):
    r = api.get("/v1/products", {"starting_after": "prod_nope"})
    assert (r.status, r.error["code"], r.error["param"]) == (404, "resource_missing", "starting_after")


def test_both_cursors_at_once_is_rejected(api, many_products):
    r = api.get("/v1/products", {"starting_after": many_products[0], "ending_before": many_products[1]})
    assert r.status == 400


def test_created_filters_count_whole_seconds(api, many_products):
    second_3 = to_unix(T0 + dt.timedelta(seconds=3))

    def count(created):
        return len(_walk(api, {"limit": 100, "created": created})[0])

    assert count(second_3) == 7
    assert count({"gte": second_3}) == 250 - 21
    assert count({"gt": second_3}) == 250 - 28
    assert count({"lt": second_3}) == 21
    assert count({"lte": second_3}) == 28
    assert count({"gte": second_3, "lt": second_3 + 2}) == 14


def test_customer_pages_cost_constant_queries(api):
    api.ok("POST", "/v1/coupons", {"id": "TEN", "percent_off": 10, "duration": "forever"})
    for i in range(12):
        api.ok("POST", "/v1/customers", {"email": f"c{i}@example.com", "coupon": "TEN"})
    api.ok("GET", "/v1/customers", {"limit": 1})  # the key's last-use bookkeeping happens once a minute
    with CaptureQueriesContext(connection) as small:
        api.ok("GET", "/v1/customers", {"limit": 2})
    with CaptureQueriesContext(connection) as large:
        page = api.ok("GET", "/v1/customers", {"limit": 12})
    assert all(c["discount"]["source"]["coupon"] == "TEN" for c in page["data"])
    assert len(large) == len(small)
