"""The outbox against a real SMTP server: retries with backoff while it is down, delivery once it
is back, permanent refusals, and each email sent once however often it is queued."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from seikyu.core.clock import pinned
from seikyu.notifications.alerts import alert_team
from seikyu.notifications.models import OutboundEmail
from seikyu.notifications.services import BACKOFF, LEASE, MAX_TRIES, send_due_emails

from .conftest import TEAM

NOW = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def real_time() -> Iterator[None]:
    with pinned(NOW):
        yield


def email() -> OutboundEmail:
    return OutboundEmail.objects.get()


def test_while_the_server_is_down_the_email_is_retried_with_backoff_and_delivered_once_it_is_back(smtp, business):
    alert_team("Nightly export failed", "The export of 2026-05 stopped at 42 %.", livemode=False)
    smtp.down()
    assert send_due_emails() == 1
    first = email()
    assert (first.status, first.tries, first.next_attempt_at) == ("queued", 1, NOW + BACKOFF[0])
    assert "could not connect to the mail server" in (first.last_error or "")
    # Not due before its time: nothing happens.
    with pinned(NOW + BACKOFF[0] - dt.timedelta(seconds=1)):
        assert send_due_emails() == 0
    with pinned(NOW + BACKOFF[0]):
        assert send_due_emails() == 1
    assert email().next_attempt_at == NOW + BACKOFF[0] + BACKOFF[1]

    smtp.up()
    with pinned(NOW + BACKOFF[0] + BACKOFF[1]):
        assert send_due_emails() == 1
        assert send_due_emails() == 0
    sent = email()
    assert (sent.status, sent.next_attempt_at, sent.last_error) == ("sent", None, None)
    assert [a.succeeded for a in sent.attempts.order_by("attempted_at")] == [False, False, True]
    [mail] = smtp.received
    assert set(mail.rcpt_tos) == set(TEAM)
    assert mail.subject == "[Seikyu テスト] Nightly export failed"
    assert "The export of 2026-05 stopped at 42 %." in mail.text()


def test_after_the_last_try_the_email_is_failed_and_kept_with_every_attempt(smtp, business):
    alert_team("Something", "went wrong", livemode=False)
    smtp.down()
    at = NOW
    for n in range(MAX_TRIES):
        with pinned(at):
            assert send_due_emails() == 1
        if n < len(BACKOFF):
            at += BACKOFF[n]
    failed = email()
    assert (failed.status, failed.next_attempt_at, failed.tries) == ("failed", None, MAX_TRIES)
    assert failed.attempts.filter(succeeded=False).count() == MAX_TRIES
    with pinned(at + dt.timedelta(days=1)):
        assert send_due_emails() == 0
    # About ten hours from the first try to the last.
    assert dt.timedelta(hours=9) < at - NOW < dt.timedelta(hours=11)


def test_a_permanent_refusal_is_not_retried(smtp, business):
    async def refuse(server, session, envelope, address, rcpt_options):
        return "550 5.1.1 No such mailbox"

    smtp.handle_RCPT = refuse  # type: ignore[attr-defined]
    smtp.down()
    smtp.up()
    alert_team("Refused", "nobody home", livemode=False)
    assert send_due_emails() == 1
    refused = email()
    assert refused.status == "failed" and "550" in (refused.last_error or "")
    assert smtp.received == []


def test_a_claimed_email_is_left_alone_until_its_lease_ends(smtp, business):
    alert_team("Once", "only once", livemode=False)
    OutboundEmail.objects.update(next_attempt_at=NOW + LEASE, tries=1, attempt_count=1)  # as a claim leaves it
    assert send_due_emails() == 0
    with pinned(NOW + LEASE):
        assert send_due_emails() == 1
    assert len(smtp.received) == 1


def test_the_same_alert_queued_twice_is_sent_once(smtp, business):
    alert_team("Endpoint disabled", "we_1", livemode=False, dedupe_key="endpoint_disabled:we_1")
    alert_team("Endpoint disabled", "we_1", livemode=False, dedupe_key="endpoint_disabled:we_1")
    alert_team("Endpoint disabled", "we_2", livemode=False, dedupe_key="endpoint_disabled:we_2")
    assert send_due_emails() == 2
    assert sorted(line for m in smtp.received for line in m.text().splitlines() if line.startswith("we_")) == [
        "we_1",
        "we_2",
    ]
