"""The search query language and ``/search`` endpoints."""

import datetime as dt

import pytest

from seikyu.api.search import parse
from seikyu.billing.services import customers
from seikyu.core.clock import pinned, to_unix
from seikyu.core.errors import InvalidRequest

T0 = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)


def test_parse_clauses_and_joiner():
    clauses, join = parse("email:'a@example.com' AND metadata['plan']:\"pro\" AND -name~'bot' AND created>10")
    assert join == "AND"
    assert [(c.negate, c.field, c.key, c.op, c.value) for c in clauses] == [
        (False, "email", None, ":", "a@example.com"),
        (False, "metadata", "plan", ":", "pro"),
        (True, "name", None, "~", "bot"),
        (False, "created", None, ">", "10"),
    ]
    assert parse("name:'a' OR name:'b'")[1] == "OR"


def test_quotes_may_be_escaped():
    (clause,), _ = parse(r"name:'O\'Brien'")
    assert clause.value == "O'Brien"


@pytest.mark.parametrize(
    "query",
    ["", "email", "email:'a' AND", "name:'a' AND name:'b' OR name:'c'", "email:'unterminated", "AND email:'a'"],
)
def test_malformed_queries_are_rejected(query):
    with pytest.raises(InvalidRequest) as err:
        parse(query)
    assert err.value.param == "query"


@pytest.fixture
def people(db):
    rows = [
        ("aiko@example.jp", "Aiko Tanaka", {"plan": "pro"}),
        ("ben@example.com", "Ben Carter", {"plan": "free"}),
        ("chika@example.jp", "Chika Sato", {}),
        ("dan@example.com", "Dan Tanaka", {"plan": "pro"}),
    ]
    made = {}
    for i, (email, name, metadata) in enumerate(rows):
        with pinned(T0 + dt.timedelta(days=i)):
            made[name.split()[0].lower()] = customers.create_customer(
                {"email": email, "name": name, "metadata": metadata}, livemode=False
            ).id
    return made


def _names(api, query, **extra):
    result = api.ok("GET", "/v1/customers/search", {"query": query, **extra})
    assert result["object"] == "search_result"
    assert result["url"] == "/v1/customers/search"
    return [c["name"].split()[0].lower() for c in result["data"]]


def test_search_forms(api, people):
    assert _names(api, "email:'AIKO@example.jp'") == ["aiko"]
    assert _names(api, "name~'tanaka'") == ["dan", "aiko"]
    assert _names(api, "metadata['plan']:'pro'") == ["dan", "aiko"]
    assert _names(api, "metadata['plan']:null") == ["chika"]
    assert _names(api, "name~'tanaka' AND -metadata['plan']:'free'") == ["dan", "aiko"]
    assert _names(api, "email~'example.jp' OR name:'Ben Carter'") == ["chika", "ben", "aiko"]
    assert _names(api, f"created>={to_unix(T0 + dt.timedelta(days=2))}") == ["dan", "chika"]
    assert _names(api, f"created<{to_unix(T0 + dt.timedelta(days=1))}") == ["aiko"]


def test_search_pages_and_total_count(api, people):
    first = api.ok("GET", "/v1/customers/search", {"query": "email~'example'", "limit": 3, "expand": ["total_count"]})
    assert first["total_count"] == 4
    assert first["has_more"] is True and first["next_page"]
    second = api.ok("GET", "/v1/customers/search", {"query": "email~'example'", "limit": 3, "page": first["next_page"]})
    assert second["has_more"] is False and second["next_page"] is None
    ids = [c["id"] for c in first["data"] + second["data"]]
    assert sorted(ids) == sorted(people.values())


def test_invalid_searches_point_at_query(api, people):
    for query in ("password:'x'", "name~'ab'", "created~'1'", "email>5", "metadata:'x'"):
        r = api.get("/v1/customers/search", {"query": query})
        assert (r.status, r.error["param"]) == (400, "query"), query
    r = api.get("/v1/customers/search", {"query": "name:'x'", "page": "not-a-cursor"})
    assert (r.status, r.error["param"]) == (400, "page")
    assert api.get("/v1/customers/search").error["code"] == "parameter_missing"


def test_search_is_per_mode(live_api, people):
    assert live_api.ok("GET", "/v1/customers/search", {"query": "name~'tanaka'"})["data"] == []


def test_product_and_price_search(api):
    api.ok(
        "POST",
        "/v1/prices",
        {
            "currency": "jpy",
            "unit_amount": 1000,
            "lookup_key": "basic_monthly",
            "recurring": {"interval": "month"},
            "product_data": {"name": "Basic"},
        },
    )
    api.ok("POST", "/v1/products", {"name": "Archived", "active": False})
    assert [p["name"] for p in api.ok("GET", "/v1/products/search", {"query": "active:'true'"})["data"]] == ["Basic"]
    found = api.ok("GET", "/v1/prices/search", {"query": "lookup_key:'basic_monthly' AND type:'recurring'"})
    assert [p["unit_amount"] for p in found["data"]] == [1000]
