"""Stories on test clocks: each email arrives on its day, in the customer's language, with the
right attachments — read back from a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from seikyu.billing.links import invoice_id_from_token
from seikyu.billing.services import customers
from seikyu.billing.services.invoice_collection import pay_invoice
from seikyu.billing.services.payment_methods import attach_payment_method, create_payment_method
from seikyu.core.clock import pinned

from .conftest import DAY, HOUR, START, TEAM, advance, deliver, new_clock, new_customer, pdf_text, subscribe, switch

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture(autouse=True)
def real_time_at_start() -> Iterator[None]:
    # Cards are checked against real time; keep it at the story's start.
    with pinned(START):
        yield


def test_trial_ending_reaches_each_customer_7_days_before_the_trial_ends_in_their_language(smtp, business, plans):
    clock = new_clock()
    taro = new_customer(clock, email="taro@example.jp", name="山田太郎")
    jane = new_customer(clock, email="jane@example.com", name="Jane Smith", locales=["en-US"])
    subscribe(taro, plans.monthly, plans.tax, trial_period_days=14)
    subscribe(jane, plans.monthly, plans.tax, trial_period_days=14)
    deliver()
    assert smtp.received == []  # a free first invoice sends no receipt

    advance(clock, START + 7 * DAY - HOUR)
    deliver()
    assert smtp.received == []

    advance(clock, START + 8 * DAY)
    deliver()
    [ja] = smtp.to("taro@example.jp")
    [en] = smtp.to("jane@example.com")
    trial_end = START + 14 * DAY
    for mail in (ja, en):
        assert mail.date() == trial_end - 7 * DAY
        assert mail.message["From"] == "請求テック <billing@seikyu-tech.example>"
        assert mail.message["Reply-To"] == "support@seikyu-tech.example"
        assert mail.message["X-Seikyu-Test-Clock"] == clock.id
        assert mail.pdfs() == {}
    assert ja.subject == "[テスト] 無料トライアルは2026年4月15日に終了します"
    assert "¥5,500（税込）" in ja.text() and "ご登録のカード（Visa 末尾4242）" in ja.text()
    assert "山田太郎 様" in ja.text()
    assert en.subject == "[TEST] Your free trial ends on April 15, 2026"
    assert "¥5,500 (tax included) will be charged to your Visa ending in 4242" in " ".join(en.text().split())
    assert "Hello Jane Smith," in en.text()
    assert "¥5,500" in en.html() and "cid:logo@seikyu" in en.html()


def test_after_the_trial_a_receipt_then_the_renewal_reminder_7_days_before_the_renewal(smtp, business, plans):
    clock = new_clock()
    taro = new_customer(clock, email="taro@example.jp")
    sub = subscribe(taro, plans.monthly, plans.tax, trial_period_days=14)
    advance(clock, START + 14 * DAY + 2 * HOUR)
    deliver()
    trial_notice, receipt = smtp.to("taro@example.jp")
    assert trial_notice.date() == START + 7 * DAY
    renewal_invoice = sub.invoices.order_by("created").last()
    assert receipt.date() == renewal_invoice.paid_at
    assert receipt.subject == "[テスト] お支払いありがとうございます（¥5,500）"
    [(name, pdf)] = receipt.pdfs().items()
    assert name == f"領収書_{renewal_invoice.number}.pdf" and pdf.startswith(b"%PDF")
    assert renewal_invoice.number in pdf_text(pdf).replace(" ", "")

    renews_at = START + 14 * DAY + 30 * DAY  # 15 May
    advance(clock, renews_at - 7 * DAY + HOUR)
    deliver()
    reminder = smtp.to("taro@example.jp")[-1]
    assert reminder.date() == renews_at - 7 * DAY
    assert reminder.subject == "[テスト] Seikyu Cloudのご契約は2026年5月15日に更新されます"
    assert "¥5,500（税込）" in reminder.text() and "毎月" in reminder.text()


def test_a_card_expiring_next_month_is_noticed_on_the_first_of_its_expiry_month_at_9_in_tokyo(smtp, business, plans):
    clock = new_clock()
    jane = new_customer(clock, email="jane@example.com", name="Jane Smith", locales=["en"], card=None)
    card = create_payment_method(
        livemode=False, card={"number": "4242424242424242", "exp_month": 5, "exp_year": 2026, "cvc": "123"}
    )
    attach_payment_method(card.id, jane, livemode=False)
    customers.update_customer(jane.id, {"invoice_settings": {"default_payment_method": card.id}}, livemode=False)
    subscribe(jane, plans.yearly, plans.tax)
    deliver()
    [receipt] = smtp.to("jane@example.com")
    assert receipt.subject == "[TEST] Receipt for your payment of ¥55,000"
    assert next(iter(receipt.pdfs())).startswith("receipt-")

    notice_at = dt.datetime(2026, 5, 1, 9, tzinfo=TOKYO)
    advance(clock, notice_at - HOUR)
    deliver()
    assert len(smtp.to("jane@example.com")) == 1
    advance(clock, dt.datetime(2026, 6, 10, tzinfo=dt.UTC))
    deliver()
    [_, notice] = smtp.to("jane@example.com")
    assert notice.date() == notice_at
    assert notice.subject == "[TEST] Your card ending in 4242 expires soon"
    assert "expires at the end of May 2026" in notice.text()


def test_a_bank_transfer_invoice_is_sent_reminded_after_its_due_date_and_listed_for_the_team(smtp, business, plans):
    switch(past_due_reminders={"enabled": True, "days_after_due": [1, 7]})
    clock = new_clock()
    company = new_customer(clock, email="keiri@example.co.jp", name="株式会社テスト", card=None)
    sub = subscribe(company, plans.monthly, plans.tax, collection_method="send_invoice", days_until_due=14)
    invoice = sub.latest_invoice
    deliver()
    [sent] = smtp.to("keiri@example.co.jp")
    assert sent.date() == START
    assert sent.subject == f"[テスト] 請求書 {invoice.number} のご送付（お支払期限 2026年4月15日）"
    assert "株式会社テスト 御中" in sent.text()
    for words in ("みずほ銀行", "渋谷支店（210）", "普通", "1234567", "ｶ)ｾｲｷﾕｳﾃﾂｸ", "¥5,500（税込）"):
        assert words in sent.text() and words in sent.html()
    [(name, pdf)] = sent.pdfs().items()
    assert name == f"請求書_{invoice.number}.pdf"
    text = pdf_text(pdf).replace(" ", "")
    assert invoice.number in text and "T7000012050002" in text

    due = START + 14 * DAY
    advance(clock, due + 8 * DAY + HOUR)  # 23 April, 10:00 in Tokyo
    deliver()
    reminders = smtp.to("keiri@example.co.jp")[1:]
    assert [m.date() for m in reminders] == [due + DAY, due + 7 * DAY]
    assert all(m.subject.startswith(f"[テスト] 請求書 {invoice.number} のお支払いのお願い") for m in reminders)
    assert "期限からの経過日数: 7日" in reminders[1].text()
    assert all(list(m.pdfs()) == [f"請求書_{invoice.number}.pdf"] for m in reminders)

    digests = smtp.to(TEAM[0])
    # Every morning at 09:00 in Tokyo from the day after the due date.
    assert [m.date() for m in digests] == [due + n * DAY for n in range(1, 9)]
    assert digests[0].subject == "[Seikyu テスト] 支払期限を過ぎた振込請求書 1件（2026年4月16日）"
    assert invoice.number in digests[0].html() and "株式会社テスト" in digests[0].text()
    assert set(digests[0].rcpt_tos) == set(TEAM)

    pay_invoice(invoice, paid_out_of_band=True)
    advance(clock, due + 15 * DAY)
    deliver()
    assert len(smtp.to(TEAM[0])) == 8  # nothing overdue any more
    receipt = smtp.to("keiri@example.co.jp")[3]
    assert receipt.subject == "[テスト] お支払いありがとうございます（¥5,500）"
    # No reminder about the paid invoice; the next one is the renewal notice a week before 1 May.
    later = smtp.to("keiri@example.co.jp")[4:]
    assert [(m.subject, m.date()) for m in later] == [
        ("[テスト] Seikyu Cloudのご契約は2026年5月1日に更新されます", dt.datetime(2026, 4, 24, tzinfo=dt.UTC))
    ]
    assert "¥5,500（税込）の請求書をお送りします" in later[0].text()


def test_a_declined_renewal_tells_the_customer_why_and_when_it_is_retried_and_alerts_the_team(smtp, business, plans):
    clock = new_clock()
    jane = new_customer(clock, email="jane@example.com", name="Jane Smith", locales=["en"])
    sub = subscribe(jane, plans.monthly, plans.tax)
    failing = attach_payment_method("pm_card_visa_chargeDeclinedInsufficientFunds", jane, livemode=False)
    customers.update_customer(jane.id, {"invoice_settings": {"default_payment_method": failing.id}}, livemode=False)
    renewal = START + 30 * DAY  # 1 May
    advance(clock, renewal + DAY + 2 * HOUR)  # the first attempt and the first retry
    deliver()

    failed = [m for m in smtp.to("jane@example.com") if "Payment failed" in m.subject]
    invoice = sub.invoices.order_by("created").last()
    assert [m.date() for m in failed] == [renewal + HOUR, renewal + DAY + HOUR]
    first = failed[0]
    assert first.subject == f"[TEST] Payment failed for invoice {invoice.number}"
    body = " ".join(first.text().split())
    assert "We couldn't collect your payment of ¥5,500 on May 1, 2026." in body
    assert "The card didn't have enough funds or available credit." in body
    assert "We'll try the same card again on May 2, 2026." in body
    [link] = re.findall(r"https://billing\.seikyu-tech\.example/i/\S+", first.text())
    assert invoice_id_from_token(link.rsplit("/", 1)[1]) == invoice.id  # the hosted page of this invoice
    assert f'href="{link}"' in first.html()

    alerts = [m for m in smtp.to(TEAM[0]) if "決済失敗" in m.subject]
    assert len(alerts) == 2
    assert alerts[0].subject == f"[Seikyu テスト] 決済失敗: Jane Smith ¥5,500（請求書 {invoice.number}）"
    assert "(insufficient_funds)" in alerts[0].text() and "jane@example.com" in alerts[0].text()
    assert alerts[0].message["Reply-To"] is None
