"""``/v1/emails``: the outbox as the API shows it, and resending."""

from __future__ import annotations

import datetime as dt
from typing import get_args

from api_support import ApiClient, api_key
from seikyu.api.resources.emails import EmailKind
from seikyu.core.clock import pinned, real_now
from seikyu.notifications.alerts import alert_team
from seikyu.notifications.models import Kind, OutboundEmail

from .conftest import deliver, new_customer, subscribe


def test_every_kind_can_be_filtered_on():
    assert set(get_args(EmailKind)) == set(Kind.values)


def test_list_filter_retrieve_with_attempts_and_resend(smtp, business, plans):
    api = ApiClient(api_key())
    taro = new_customer(None, email="taro@example.jp")
    jane = new_customer(None, email="jane@example.com", name="Jane Smith", locales=["en"])
    taro_sub = subscribe(taro, plans.monthly, plans.tax)
    subscribe(jane, plans.yearly, plans.tax)
    alert_team("Disk almost full", "The data directory is 95 % full.", livemode=False)
    deliver()

    listed = api.ok("get", "/v1/emails", {})
    assert listed["object"] == "list" and len(listed["data"]) == 3
    receipts = api.ok("get", "/v1/emails", {"kind": "payment_succeeded", "customer": taro.id})["data"]
    [receipt] = receipts
    assert receipt["object"] == "email"
    assert (receipt["status"], receipt["to"], receipt["invoice"]) == (
        "sent",
        ["taro@example.jp"],
        taro_sub.latest_invoice_id,
    )
    assert receipt["attachments"][0]["kind"] == "receipt" and receipt["attachments"][0]["document"].startswith("doc_")
    assert receipt["subject"].startswith("[テスト] お支払いありがとうございます")
    assert api.ok("get", "/v1/emails", {"invoice": taro_sub.latest_invoice_id})["data"] == receipts
    assert [e["kind"] for e in api.ok("get", "/v1/emails", {"status": "sent", "kind": "team_alert"})["data"]] == [
        "team_alert"
    ]

    got = api.ok("get", f"/v1/emails/{receipt['id']}", {})
    assert [(a["succeeded"], a["error"]) for a in got["attempts"]] == [(True, None)]

    with pinned(real_now() + dt.timedelta(seconds=5)):
        resent = api.ok("post", f"/v1/emails/{receipt['id']}/resend", {})
        assert resent["status"] == "queued" and resent["message_id"] != receipt["message_id"]
        deliver()
    mails = smtp.to("taro@example.jp")
    assert len(mails) == 2 and mails[0].subject == mails[1].subject
    assert mails[1].message["Message-ID"] == resent["message_id"]
    again = api.ok("get", f"/v1/emails/{receipt['id']}", {})
    assert again["status"] == "sent" and len(again["attempts"]) == 2


def test_live_keys_see_only_live_emails_and_unknown_ids_are_missing(smtp, business):
    alert_team("Test-mode alert", "body", livemode=False)
    live = ApiClient(api_key(livemode=True))
    assert live.ok("get", "/v1/emails", {})["data"] == []
    email = OutboundEmail.objects.get()
    status, body, _ = live.get(f"/v1/emails/{email.id}")
    assert status == 404 and body["error"]["code"] == "resource_missing"
    status, body, _ = ApiClient(api_key()).post(f"/v1/emails/{email.id}/resend")
    assert status == 400  # never sent yet: nothing to resend
    assert OutboundEmail.objects.get().round == 1


def test_the_endpoints_are_in_the_openapi_document(db):
    paths = ApiClient(None).client.get("/v1/openapi.json").json()["paths"]
    assert {"/v1/emails", "/v1/emails/{id}", "/v1/emails/{id}/resend"} <= set(paths)
    assert paths["/v1/emails/{id}/resend"]["post"]["summary"].startswith("Seikyu extension")
