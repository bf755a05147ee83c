"""``Idempotency-Key``: replay, mismatch, in-flight collisions, expiry."""

import datetime as dt

import pytest

from seikyu.api.idempotency import fingerprint
from seikyu.api.models import ApiKey, IdempotencyRecord
from seikyu.api.params import decode
from seikyu.api.services import hash_secret
from seikyu.billing.models import Customer
from seikyu.core.clock import real_now


def _key_row(api) -> ApiKey:
    return ApiKey.objects.get(secret_hash=hash_secret(api.secret))


def test_retry_replays_the_first_response_without_running_again(api):
    first = api.post("/v1/customers", {"email": "once@example.com"}, idempotency_key="k1")
    second = api.post("/v1/customers", {"email": "once@example.com"}, idempotency_key="k1")
    assert first.status == second.status == 200
    assert second.json == first.json
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert Customer.objects.filter(email="once@example.com").count() == 1


def test_same_key_with_other_params_is_an_idempotency_error(api):
    api.post("/v1/customers", {"email": "a@example.com"}, idempotency_key="k2")
    r = api.post("/v1/customers", {"email": "b@example.com"}, idempotency_key="k2")
    assert r.status == 400
    assert r.error["type"] == "idempotency_error"
    assert not Customer.objects.filter(email="b@example.com").exists()


def test_same_key_on_another_path_is_an_idempotency_error(api):
    api.post("/v1/customers", {"name": "x"}, idempotency_key="k3")
    r = api.post("/v1/products", {"name": "x"}, idempotency_key="k3")
    assert (r.status, r.error["type"]) == (400, "idempotency_error")


def test_request_in_flight_gets_409(api):
    # What the first of two concurrent requests has committed before doing its work.
    params = decode([("email", "c@example.com")])
    IdempotencyRecord.objects.create(
        api_key=_key_row(api),
        key="busy",
        request_fingerprint=fingerprint("POST", "/v1/customers", params),
        created=real_now(),
    )
    r = api.post("/v1/customers", {"email": "c@example.com"}, idempotency_key="busy")
    assert (r.status, r.error["code"]) == (409, "idempotency_key_in_use")
    assert r.headers["Request-Id"].startswith("req_")
    assert not Customer.objects.filter(email="c@example.com").exists()


def test_invalid_params_are_not_remembered(api):
    r = api.post("/v1/products", {"nam": "typo"}, idempotency_key="k4")
    assert r.status == 400
    assert not IdempotencyRecord.objects.filter(key="k4").exists()
    # The key is still free for the corrected request.
    fixed = api.post("/v1/products", {"nam": "typo"}, idempotency_key="k4")
    assert fixed.status == 400


def test_errors_after_the_request_started_are_replayed(api):
    first = api.post(
        "/v1/prices", {"currency": "jpy", "unit_amount": 100, "product": "prod_nope"}, idempotency_key="k5"
    )
    assert first.status == 404
    again = api.post(
        "/v1/prices", {"currency": "jpy", "unit_amount": 100, "product": "prod_nope"}, idempotency_key="k5"
    )
    assert (again.status, again.json) == (404, first.json)
    assert again.headers["Idempotent-Replayed"] == "true"


def test_keys_expire_after_24_hours(api):
    first = api.post("/v1/customers", {"email": "old@example.com"}, idempotency_key="k6")
    IdempotencyRecord.objects.filter(key="k6").update(created=real_now() - dt.timedelta(hours=25))
    second = api.post("/v1/customers", {"email": "old@example.com"}, idempotency_key="k6")
    assert second.status == 200
    assert second.json["id"] != first.json["id"]
    assert Customer.objects.filter(email="old@example.com").count() == 2


def test_keys_are_per_api_key(api, live_api):
    a = api.post("/v1/customers", {"email": "same@example.com"}, idempotency_key="shared")
    b = live_api.post("/v1/customers", {"email": "same@example.com"}, idempotency_key="shared")
    assert a.json["id"] != b.json["id"]


def test_overlong_key_is_rejected(api):
    r = api.post("/v1/customers", {}, idempotency_key="k" * 256)
    assert r.status == 400
    assert not Customer.objects.exists()


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_get_and_delete_ignore_keys(api, method):
    customer = api.ok("POST", "/v1/customers", {})
    r = api.request(method, f"/v1/customers/{customer['id']}", headers={"Idempotency-Key": "read"})
    assert r.status == 200
    assert not IdempotencyRecord.objects.filter(key="read").exists()


def _placeholder(api, key: str, params: list[tuple[str, str]], *, age: dt.timedelta, claim: str = "") -> None:
    """What a request left behind when it died after claiming ``key`` (its work rolled back)."""
    IdempotencyRecord.objects.create(
        api_key=_key_row(api),
        key=key,
        request_fingerprint=fingerprint("POST", "/v1/customers", decode(params)),
        created=real_now() - age,
        claim=claim,
    )


def test_the_key_of_a_request_that_died_goes_to_its_retry_which_runs_once(api):
    _placeholder(api, "died", [("email", "d@example.com")], age=dt.timedelta(minutes=1))
    retry = api.post("/v1/customers", {"email": "d@example.com"}, idempotency_key="died")
    assert retry.status == 200 and "Idempotent-Replayed" not in retry.headers
    again = api.post("/v1/customers", {"email": "d@example.com"}, idempotency_key="died")
    assert (again.status, again.json, again.headers["Idempotent-Replayed"]) == (200, retry.json, "true")
    assert Customer.objects.filter(email="d@example.com").count() == 1


def test_a_request_whose_key_a_retry_took_over_stops_and_changes_nothing(api):
    from django.db import transaction

    from seikyu.api.idempotency import Claim, hold
    from seikyu.core.errors import Conflict

    _placeholder(api, "slow", [("email", "s@example.com")], age=dt.timedelta(minutes=1), claim="first")
    assert api.post("/v1/customers", {"email": "s@example.com"}, idempotency_key="slow").status == 200
    # The first request was only stalled, and now reaches its transaction.
    with pytest.raises(Conflict), transaction.atomic():
        hold(_key_row(api), "slow", Claim("first"))
    assert Customer.objects.filter(email="s@example.com").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_running_request_keeps_its_key_however_long_it_runs(api):
    import threading

    from django.db import connection, connections, transaction

    from seikyu.api.idempotency import Claim, hold

    if connection.vendor != "postgresql":
        pytest.skip("on SQLite a retry waits for the running request instead")
    _placeholder(api, "long", [("email", "l@example.com")], age=dt.timedelta(minutes=5), claim="running")
    holding, done = threading.Event(), threading.Event()

    def running_request() -> None:
        try:
            with transaction.atomic():
                hold(_key_row(api), "long", Claim("running"))
                holding.set()
                done.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=running_request)
    thread.start()
    try:
        assert holding.wait(10)
        retry = api.post("/v1/customers", {"email": "l@example.com"}, idempotency_key="long")
        assert (retry.status, retry.error["code"]) == (409, "idempotency_key_in_use")
    finally:
        done.set()
        thread.join()
    assert not Customer.objects.filter(email="l@example.com").exists()
    assert IdempotencyRecord.objects.get(key="long").claim == "running"
