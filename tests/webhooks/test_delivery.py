"""Fan-out and delivery to a real HTTP receiver on loopback, signatures checked by the official SDK."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from seikyu.billing.services import catalog, customers
from seikyu.core.clock import real_now
from seikyu.events.models import Event
from seikyu.events.services import emit, render_event
from seikyu.webhooks import services
from seikyu.webhooks.delivery import _record, claim_due, lease_for
from seikyu.webhooks.models import Delivery, DeliveryAttempt, WebhookEndpoint
from seikyu.webhooks.sending import Outcome
from seikyu.webhooks.services import deliver_due, fan_out_events, run_webhook_work

pytestmark = pytest.mark.django_db


def endpoint(url: str, events: list[str] | None = None, *, livemode: bool = False) -> WebhookEndpoint:
    return services.create_endpoint({"url": url, "enabled_events": events or ["*"]}, livemode=livemode)


def drain(now: dt.datetime | None = None) -> None:
    """Run webhook work until nothing is left to do at ``now``."""
    while run_webhook_work(now=now):
        pass


def settle(now: dt.datetime) -> dt.datetime:
    """Jump from one due time to the next until no delivery has anything left to do."""
    drain(now)
    while due := Delivery.objects.exclude(next_attempt_at=None).order_by("next_attempt_at").first():
        now = max(now, due.next_attempt_at)
        drain(now)
    return now


def test_every_event_arrives_signed_and_verifies_with_the_official_sdk(receiver):
    hook = endpoint(receiver.url)
    customer = customers.create_customer({"email": "a@example.jp", "name": "株式会社テスト"}, livemode=False)
    customers.update_customer(customer.id, {"name": "テスト"}, livemode=False)
    catalog.create_product({"name": "Plan"}, livemode=False)
    emitted = list(Event.objects.filter(livemode=False).order_by("id"))

    drain()

    events = receiver.events(hook.secret)  # raises on any bad signature
    assert sorted(e.id for e in events) == [e.id for e in emitted]
    assert {e.type for e in events} == {"customer.created", "customer.updated", "product.created"}
    first = next(r for r in receiver.received if r.json["id"] == emitted[0].id)
    assert first.headers["Content-Type"].startswith("application/json")
    assert first.headers["User-Agent"].startswith("Seikyu/")
    assert first.headers["Stripe-Signature"].startswith("t=")
    wire = render_event(Event.objects.get(id=emitted[0].id))
    assert {k: v for k, v in first.json.items() if k != "pending_webhooks"} == {
        k: v for k, v in wire.items() if k != "pending_webhooks"
    }
    assert first.json["data"]["object"]["name"] == "株式会社テスト"
    assert set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"}
    assert set(Event.objects.values_list("pending_webhooks", flat=True)) == {0}


def test_a_tampered_body_or_another_secret_fails_verification(receiver):
    import stripe

    hook = endpoint(receiver.url)
    customers.create_customer({"email": "a@example.jp"}, livemode=False)
    drain()
    received = receiver.received[0]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(received.body.decode() + " ", received.headers["Stripe-Signature"], hook.secret)
    other = endpoint(receiver.url)
    with pytest.raises(stripe.SignatureVerificationError):
        received.verified_event(other.secret)


def test_enabled_events_star_and_livemode_decide_who_gets_what(receiver):
    invoices_only = endpoint(receiver.url + "?who=invoices", ["customer.updated"])
    everything = endpoint(receiver.url + "?who=all", ["*"])
    live = endpoint(receiver.url + "?who=live", ["*"], livemode=True)
    test_customer = customers.create_customer({"email": "t@example.jp"}, livemode=False)
    customers.update_customer(test_customer.id, {"name": "T"}, livemode=False)
    customers.create_customer({"email": "l@example.jp"}, livemode=True)

    drain()

    got: dict[str, list[str]] = {}
    for r in receiver.received:
        got.setdefault(r.path.split("who=")[1], []).append(r.json["type"])
    assert sorted(got["invoices"]) == ["customer.updated"]
    assert sorted(got["all"]) == ["customer.created", "customer.updated"]
    assert got["live"] == ["customer.created"]
    assert all(r.json["livemode"] for r in receiver.received if "who=live" in r.path)
    assert Delivery.objects.filter(endpoint=invoices_only).count() == 1
    assert Delivery.objects.filter(endpoint=everything).count() == 2
    assert Delivery.objects.filter(endpoint=live, livemode=True).count() == 1


def test_each_event_is_fanned_out_once_and_counts_its_pending_webhooks(receiver):
    endpoint(receiver.url)
    endpoint(receiver.url, ["customer.created"])
    customer = customers.create_customer({"email": "a@example.jp"}, livemode=False)
    customers.update_customer(customer.id, {"name": "A"}, livemode=False)

    assert fan_out_events() == 2
    assert fan_out_events() == 0
    pending = dict(Event.objects.values_list("type", "pending_webhooks"))
    assert pending == {"customer.created": 2, "customer.updated": 1}
    assert Delivery.objects.count() == 3

    assert deliver_due() == 3
    assert dict(Event.objects.values_list("type", "pending_webhooks")) == {"customer.created": 0, "customer.updated": 0}
    assert deliver_due() == 0
    assert len(receiver.received) == 3


def test_an_endpoint_created_later_does_not_get_earlier_events(receiver):
    customers.create_customer({"email": "before@example.jp"}, livemode=False)
    hook = endpoint(receiver.url)
    customers.create_customer({"email": "after@example.jp"}, livemode=False)
    drain()
    assert [e.data.object.email for e in receiver.events(hook.secret)] == ["after@example.jp"]


def test_with_the_receiver_down_deliveries_retry_then_all_arrive_once_it_is_back(receiver):
    hook = endpoint(receiver.url)
    receiver.down()
    for n in range(3):
        customers.create_customer({"email": f"c{n}@example.jp"}, livemode=False)
    t0 = real_now()
    drain(t0)

    deliveries = list(Delivery.objects.all())
    assert len(deliveries) == 3
    for delivery in deliveries:
        assert delivery.status == "pending" and delivery.attempt_count == 1
        # Test mode: the first retry comes about 10 minutes later.
        assert dt.timedelta(minutes=8) < delivery.next_attempt_at - t0 < dt.timedelta(minutes=12)
    attempt = DeliveryAttempt.objects.first()
    assert attempt.status_code is None and "Connect" in attempt.error
    # Nothing is due before the retry time.
    assert deliver_due(now=t0 + dt.timedelta(minutes=5)) == 0

    # Still down at the first retry; back for the second.
    drain(t0 + dt.timedelta(minutes=15))
    assert set(Delivery.objects.values_list("attempt_count", flat=True)) == {2}
    receiver.up()
    drain(t0 + dt.timedelta(hours=2))

    assert sorted(e.data.object.email for e in receiver.events(hook.secret)) == [
        "c0@example.jp",
        "c1@example.jp",
        "c2@example.jp",
    ]
    assert set(Delivery.objects.values_list("status", "attempt_count")) == {("succeeded", 3)}
    assert set(Event.objects.values_list("pending_webhooks", flat=True)) == {0}


def test_non_2xx_answers_are_failures_and_every_attempt_is_kept(receiver):
    endpoint(receiver.url)
    customers.create_customer({"email": "a@example.jp"}, livemode=False)
    receiver.status = 500
    receiver.response_body = b"boom " * 1000
    t0 = real_now()
    drain(t0)
    receiver.status = 302
    drain(t0 + dt.timedelta(minutes=15))
    receiver.status = 204
    receiver.response_body = b""
    drain(t0 + dt.timedelta(hours=2))

    delivery = Delivery.objects.get()
    attempts = list(delivery.attempts.order_by("started_at"))
    assert [a.status_code for a in attempts] == [500, 302, 204]
    assert [a.succeeded for a in attempts] == [False, False, True]
    assert len(attempts[0].response_excerpt) == 2048 and attempts[0].response_excerpt.startswith("boom boom")
    assert all(a.latency_ms >= 0 for a in attempts)
    assert delivery.status == "succeeded" and delivery.last_status_code == 204
    assert delivery.delivered_at is not None and delivery.delivered_at == delivery.last_attempt_at


def test_test_mode_gives_up_after_three_retries_within_a_few_hours(receiver):
    endpoint(receiver.url)
    customers.create_customer({"email": "a@example.jp"}, livemode=False)
    receiver.status = 503
    settle(real_now())
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempt_count) == ("failed", 4)
    span = delivery.last_attempt_at - delivery.first_attempt_at
    assert dt.timedelta(hours=3) < span < dt.timedelta(hours=5)
    assert Event.objects.get().pending_webhooks == 1  # never delivered


def test_live_mode_retries_with_growing_waits_for_three_days(receiver):
    endpoint(receiver.url, livemode=True)
    customers.create_customer({"email": "a@example.jp"}, livemode=True)
    receiver.status = 500
    settle(real_now())
    delivery = Delivery.objects.get()
    times = list(delivery.attempts.order_by("started_at").values_list("started_at", flat=True))
    waits = [b - a for a, b in itertools.pairwise(times)]
    assert dt.timedelta(seconds=50) < waits[0] < dt.timedelta(seconds=70)
    assert all(later > earlier * 3 for earlier, later in itertools.pairwise(waits[:5]))
    assert max(waits) <= dt.timedelta(hours=12) * 1.1
    assert abs(times[-1] - times[0] - dt.timedelta(days=3)) < dt.timedelta(seconds=1)
    assert delivery.status == "failed"
    assert 10 <= delivery.attempt_count <= 12
    assert len(times) == delivery.attempt_count


def test_a_delivery_claimed_by_a_worker_that_died_is_sent_once_its_lease_ends(receiver):
    hook = endpoint(receiver.url)
    customers.create_customer({"email": "a@example.jp"}, livemode=False)
    fan_out_events()
    t0 = real_now()
    # A worker claims the delivery, then dies before sending or recording anything.
    assert len(claim_due(10, t0)) == 1
    assert deliver_due(now=t0 + dt.timedelta(seconds=30)) == 0  # still leased to the dead worker
    assert receiver.received == []
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and delivery.attempt_count == 0

    assert deliver_due(now=t0 + lease_for(1) + dt.timedelta(seconds=1)) == 1
    assert len(receiver.events(hook.secret)) == 1
    assert Delivery.objects.get().status == "succeeded"


def test_a_stuck_send_keeps_its_lease_and_a_late_result_is_still_recorded(receiver):
    endpoint(receiver.url)
    customers.create_customer({"email": "a@example.jp"}, livemode=False)
    fan_out_events()
    t0 = real_now()
    claims = claim_due(10, t0)
    # Another worker re-claims after the lease and delivers; the first worker's failure arrives later.
    later = t0 + lease_for(1) + dt.timedelta(seconds=1)
    assert deliver_due(now=later) == 1
    _record(claims, [Outcome(0.0, None, "ReadTimeout: timed out", 10_000, "")], t0, 0.0)
    delivery = Delivery.objects.get()
    assert delivery.status == "succeeded" and delivery.next_attempt_at is None
    assert delivery.attempt_count == 2


def test_resend_sends_again_even_after_success(receiver, api):
    hook = endpoint(receiver.url)
    customers.create_customer({"email": "a@example.jp"}, livemode=False)
    drain()
    delivery = Delivery.objects.get()

    resent = api.ok("POST", f"/v1/webhook_deliveries/{delivery.id}/resend")
    assert resent["status"] == "succeeded" and resent["next_attempt"] is not None
    drain()

    assert len(receiver.events(hook.secret)) == 2
    detail = api.ok("GET", f"/v1/webhook_deliveries/{delivery.id}")
    assert [a["trigger"] for a in detail["attempts"]] == ["automatic", "resend"]
    assert [a["status_code"] for a in detail["attempts"]] == [200, 200]
    assert detail["status"] == "succeeded" and detail["next_attempt"] is None
    assert Event.objects.get().pending_webhooks == 0


def test_a_failed_resend_of_a_given_up_delivery_is_not_retried_but_a_good_one_delivers(receiver):
    endpoint(receiver.url)
    customers.create_customer({"email": "a@example.jp"}, livemode=False)
    receiver.status = 500
    settle(real_now())
    delivery = Delivery.objects.get()
    assert delivery.status == "failed"

    services.resend_delivery(delivery.id, livemode=False)
    drain()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at, delivery.attempt_count) == ("failed", None, 5)

    receiver.status = 200
    services.resend_delivery(delivery.id, livemode=False)
    drain()
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert Event.objects.get().pending_webhooks == 0


def test_a_live_endpoint_failing_for_three_days_is_disabled_and_the_team_alerted(
    receiver, caplog, django_capture_on_commit_callbacks
):
    hook = endpoint(receiver.url, livemode=True)
    receiver.status = 500
    customers.create_customer({"email": "a@example.jp"}, livemode=True)
    now = real_now()
    drain(now)
    customers.create_customer({"email": "b@example.jp"}, livemode=True)
    drain(now + dt.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        settle(now + dt.timedelta(days=1))
    hook.refresh_from_db()
    assert hook.status == "disabled"
    assert "failed" in hook.disabled_reason
    last = DeliveryAttempt.objects.order_by("-started_at").first()
    assert abs(last.started_at - hook.failing_since - dt.timedelta(days=3)) < dt.timedelta(seconds=1)
    # The delivery still waiting for retries (the second one) stops; it stays resendable.
    assert list(Delivery.objects.order_by("created").values_list("status", "next_attempt_at")) == [
        ("failed", None),
        ("failed", None),
    ]
    import importlib.util

    if importlib.util.find_spec("seikyu.notifications") is None:
        assert any("Webhook endpoint disabled" in r.getMessage() for r in caplog.records)

    # Disabled: new events are not fanned out to it.
    customers.create_customer({"email": "late@example.jp"}, livemode=True)
    drain()
    assert Delivery.objects.count() == 2


def test_a_test_endpoint_whose_deliveries_are_given_up_five_times_in_a_row_is_disabled(receiver):
    hook = endpoint(receiver.url)
    receiver.status = 500
    now = real_now()
    for n in range(5):
        customers.create_customer({"email": f"c{n}@example.jp"}, livemode=False)
        now = settle(now)
        assert WebhookEndpoint.objects.get().status == ("disabled" if n == 4 else "enabled")
    hook.refresh_from_db()
    assert hook.deliveries_given_up == 5


def test_a_success_resets_the_failure_count(receiver):
    hook = endpoint(receiver.url)
    now = real_now()
    for n in range(8):
        receiver.status = 200 if n == 3 else 500
        customers.create_customer({"email": f"c{n}@example.jp"}, livemode=False)
        now = settle(now)
    hook.refresh_from_db()
    assert (hook.status, hook.deliveries_given_up) == ("enabled", 4)


def test_deleting_an_endpoint_drops_its_deliveries_and_their_pending_count(receiver, api):
    hook = endpoint(receiver.url)
    receiver.down()
    customers.create_customer({"email": "a@example.jp"}, livemode=False)
    drain()
    assert Event.objects.get().pending_webhooks == 1
    assert api.ok("DELETE", f"/v1/webhook_endpoints/{hook.id}") == {
        "id": hook.id,
        "object": "webhook_endpoint",
        "deleted": True,
    }
    assert not Delivery.objects.exists() and not DeliveryAttempt.objects.exists()
    assert Event.objects.get().pending_webhooks == 0


def test_events_emitted_in_a_rolled_back_transaction_are_never_sent(receiver):
    from django.db import transaction

    endpoint(receiver.url)
    with pytest.raises(RuntimeError), transaction.atomic():
        emit("customer.created", {"id": "cus_x", "object": "customer"}, created=real_now(), livemode=False)
        raise RuntimeError("rolled back")
    drain()
    assert receiver.received == []
