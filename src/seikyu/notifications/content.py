"""What each email says: the facts queued with it (``OutboundEmail.context``) turned into a
``Message`` in the customer's language, which ``compose`` lays out as HTML and text with the
account's branding. Nothing here queries billing tables: an email is rendered from what was
true when it was due."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from seikyu.billing.links import hosted_invoice_url
from seikyu.core.clock import from_unix
from seikyu.core.money import format_amount
from seikyu.documents import labels
from seikyu.documents.content import TaxRow, is_reduced_rate, tax_table

from .models import Kind, OutboundEmail
from .words import COMMON, KINDS, decline_reason

Fact = tuple[str, str]


@dataclass
class Message:
    subject: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    # The big figure at the top of the summary box, then its other rows.
    highlight: Fact | None = None
    facts: list[Fact] = field(default_factory=list)
    action: tuple[str, str] | None = None  # (label, url)
    bank: list[Fact] = field(default_factory=list)
    bank_title: str = ""
    bank_note: str = ""
    # A table (the overdue digest): header, then rows.
    table: list[list[str]] = field(default_factory=list)
    small_print: list[str] = field(default_factory=list)
    greeting: str | None = None


class Facts:
    """One email's queued facts, read in its language."""

    def __init__(self, email: OutboundEmail) -> None:
        self.email = email
        self.ctx: Mapping[str, Any] = email.context
        self.locale = email.locale if email.locale in labels.LOCALES else "ja"
        self.common = COMMON[self.locale]
        self.words = KINDS[email.kind][self.locale] if email.kind in KINDS else {}

    def money(self) -> str:
        return format_amount(int(self.ctx["amount"]), str(self.ctx["currency"]), self.locale)

    def money_incl(self) -> str:
        return self.money() + self.common["tax_included"]

    def date(self, key: str) -> str:
        return date_text(self.ctx[key], self.locale)

    def card(self, card: Mapping[str, Any] | None = None) -> str:
        card = card if card is not None else self.ctx.get("card")
        if not card:
            return ""
        brand = labels.CARD_BRANDS.get(str(card.get("brand") or "").lower(), str(card.get("brand") or "Card"))
        return self.common["card"].format(brand=brand, last4=card.get("last4") or "????")

    def greeting(self) -> str:
        name = (self.ctx.get("customer_name") or "").strip()
        if not name:
            return self.common["greeting_anonymous"]
        return self.common["greeting"].format(name=labels.addressee(name, self.locale))

    def invoice_url(self) -> str | None:
        return hosted_invoice_url(self.email.invoice_id) if self.email.invoice_id else None


def date_text(unix: int | None, locale: str) -> str:
    at = from_unix(unix)
    return "" if at is None else labels.date(at, locale)


def datetime_text(unix: int | None, locale: str) -> str:
    at = from_unix(unix)
    return "" if at is None else f"{labels.date(at, locale)} {timezone.localtime(at):%H:%M}"


def month_text(year: int, month: int, locale: str) -> str:
    name = dt.date(year, month, 1).strftime("%B")
    return COMMON[locale]["month"].format(year=year, month=month, month_name=name)


def days_between(start: int, end: int) -> int:
    """Whole days from ``start`` to ``end`` (unix), rounded: a notice due 7 days before says 7."""
    return max(0, round((end - start) / 86400))


def interval_text(interval: str | None, count: int, locale: str) -> str:
    words = COMMON[locale]
    if interval == "year":
        return words["every_year"] if count == 1 else words["every_n_years"].format(n=count)
    if interval == "month":
        return words["every_month"] if count == 1 else words["every_n_months"].format(n=count)
    return ""


# --------------------------------------------------------------------------- customer emails


def _subscription_outcome(f: Facts, amount: str, date: str) -> str:
    outcome = str(f.ctx.get("outcome") or "charge")
    return f.words[outcome].format(amount=amount, card=f.card(), date=date)


def _payment_method_fact(f: Facts) -> Fact:
    by_invoice = f.ctx.get("outcome") == "invoice"
    return (f.words["payment_method"], f.words["by_invoice"] if by_invoice else f.card() or f.words["no_card"])


def trial_ending(f: Facts) -> Message:
    date = f.date("trial_end")
    amount = f.money_incl()
    days = days_between(int(f.ctx["due_at"]), int(f.ctx["trial_end"]))
    paragraphs = [
        f.words["intro"].format(plan=f.ctx["plan"], date=date, days=days),
        _subscription_outcome(f, amount, date),
    ]
    if f.ctx.get("outcome") in ("charge", "invoice", "invoice_no_card"):
        paragraphs.append(f.words["opt_out"].format(date=date))
    return Message(
        subject=f.words["subject"].format(date=date),
        title=f.words["title"],
        paragraphs=paragraphs,
        highlight=(f.words["amount"], amount),
        facts=[(f.words["plan"], f.ctx["plan"]), (f.words["ends"], date), _payment_method_fact(f)],
    )


def upcoming_renewal(f: Facts) -> Message:
    date = f.date("renews_at")
    amount = f.money_incl()
    plan = f.ctx["plan"]
    interval = interval_text(f.ctx.get("interval"), int(f.ctx.get("interval_count") or 1), f.locale)
    return Message(
        subject=f.words["subject"].format(plan=plan, date=date),
        title=f.words["title"],
        paragraphs=[
            f.words["intro"].format(plan=plan, date=date),
            _subscription_outcome(f, amount, date),
            f.words["keep"],
            f.words["opt_out"].format(date=date),
        ],
        highlight=(f.words["amount"], amount),
        facts=[
            (f.words["plan"], plan),
            (f.words["renews"], date),
            *([(f.words["interval"], interval)] if interval else []),
            _payment_method_fact(f),
        ],
    )


def card_expiring(f: Facts) -> Message:
    card = f.ctx["card"]
    month = month_text(int(card["exp_year"]), int(card["exp_month"]), f.locale)
    message = Message(
        subject=f.words["subject"].format(last4=card.get("last4") or ""),
        title=f.words["title"],
        paragraphs=[f.words["intro"].format(card=f.card(card), month=month), f.words["ask"], f.words["how"]],
        facts=[
            (f.words["card_label"], f.card(card)),
            (f.words["expires"], f"{int(card['exp_month']):02d}/{card['exp_year']}"),
        ],
    )
    url = f.invoice_url()
    if url:
        message.paragraphs.append(f.words["open_invoice"].format(number=f.ctx.get("number") or ""))
        message.action = (f.words["action"], url)
    return message


def payment_succeeded(f: Facts) -> Message:
    amount = f.money()
    date = f.date("paid_at")
    facts = [(f.words["paid_on"], date), (f.words["number"], f.ctx["number"])]
    url = f.invoice_url()
    return Message(
        subject=f.words["subject"].format(amount=amount, number=f.ctx["number"]),
        title=f.words["title"],
        paragraphs=[f.words["intro"].format(amount=amount, date=date), f.words["attached"]],
        highlight=(f.words["amount"], amount),
        facts=facts,
        action=(f.words["action"], url) if url else None,
    )


def _reason(f: Facts) -> str:
    codes = tuple(f.ctx.get("codes") or ())
    return decline_reason(codes, f.locale)


def payment_failed(f: Facts) -> Message:
    amount = f.money()
    retry = date_text(f.ctx.get("next_retry"), f.locale)
    url = f.invoice_url()
    paragraphs = [
        f.words["intro"].format(amount=amount, date=f.date("attempted_at")),
        _reason(f),
        f.words["retry"].format(retry=retry) if retry else f.words["no_retry"],
    ]
    # Without any card on file there is no "other" card to speak of.
    suffix = "_no_card" if "no_payment_method" in (f.ctx.get("codes") or ()) else ""
    if url:
        paragraphs.append(f.words["ask" + suffix])
    return Message(
        subject=f.words["subject"].format(number=f.ctx["number"]),
        title=f.words["title"],
        paragraphs=paragraphs,
        highlight=(f.words["amount"], amount),
        facts=[(f.words["number"], f.ctx["number"]), (f.words["next_retry"], retry or f.words["none"])],
        action=(f.words["action" + suffix], url) if url else None,
    )


def invoice_finalized(f: Facts) -> Message:
    amount = f.money_incl()
    due = f.date("due") if f.ctx.get("due") else ""
    url = f.invoice_url()
    message = Message(
        subject=f.words["subject"].format(number=f.ctx["number"], amount=f.money(), due=due),
        title=f.words["title"],
        paragraphs=[f.words["intro"].format(amount=amount, number=f.ctx["number"])],
        highlight=(f.words["amount"], amount),
        facts=[(f.words["number"], f.ctx["number"]), *([(f.words["due"], due)] if due else [])],
        action=(f.words["action"], url) if url else None,
    )
    if due:
        message.paragraphs.append(f.words["due_ask"].format(due=due))
    return message


def past_due_reminder(f: Facts) -> Message:
    amount = f.money()
    due = f.date("due")
    url = f.invoice_url()
    return Message(
        subject=f.words["subject"].format(number=f.ctx["number"], due=due),
        title=f.words["title"],
        paragraphs=[
            f.words["intro"].format(number=f.ctx["number"], amount=amount, due=due),
            f.words["ask"],
            f.words["crossed"],
        ],
        highlight=(f.words["amount"], amount),
        facts=[
            (f.words["number"], f.ctx["number"]),
            (f.words["due"], due),
            (f.words["overdue"], f.common["days"].format(days=f.ctx["days"])),
        ],
        action=(f.words["action"], url) if url else None,
    )


def credit_note_issued(f: Facts) -> Message:
    amount = f.money_incl()
    number, invoice = f.ctx["number"], f.ctx["invoice_number"]
    currency = str(f.ctx["currency"])
    paragraphs = [f.words["intro"].format(number=number, invoice=invoice, amount=amount)]
    # Where the money goes, in the order it went: off the invoice, back to the card, onto the
    # balance, returned outside Seikyu.
    for part in ("pre_payment", "refund", "credit", "out_of_band"):
        if int(f.ctx.get(part) or 0) > 0:
            part_amount = format_amount(int(f.ctx[part]), currency, f.locale)
            paragraphs.append(f.words[part].format(amount=part_amount, invoice=invoice))
    taxes = [
        TaxRow(
            percentage=Decimal(t["percentage"]),
            taxable_amount=int(t["taxable_amount"]),
            tax_amount=int(t["tax_amount"]),
            inclusive=bool(t["inclusive"]),
            reduced=is_reduced_rate(Decimal(t["percentage"]), t.get("country")),
        )
        for t in f.ctx.get("taxes") or []
    ]
    columns, rows = tax_table(taxes, 0, currency, f.locale)
    reason = labels.CREDIT_NOTE_REASONS[f.locale].get(str(f.ctx.get("reason") or ""))
    url = f.invoice_url()
    return Message(
        subject=f.words["subject"].format(number=number, invoice=invoice),
        title=f.words["title"],
        paragraphs=paragraphs,
        highlight=(f.words["amount"], amount),
        facts=[
            (f.words["number"], number),
            (f.words["invoice_number"], invoice),
            (f.words["issued_on"], f.date("issued_at")),
            *([(f.words["reason"], reason)] if reason else []),
        ],
        table=[columns, *([row["rate"], row["base"], row["tax"]] for row in rows)] if rows else [],
        action=(f.words["action"], url) if url else None,
    )


# --------------------------------------------------------------------------- team alerts


def payment_failed_alert(f: Facts) -> Message:
    amount = f.money()
    who = f.ctx.get("customer_name") or f.ctx.get("customer_email") or f.email.customer_id or ""
    retry = date_text(f.ctx.get("next_retry"), f.locale)
    url = f.invoice_url()
    customer = " ".join(
        part
        for part in (
            f.ctx.get("customer_name"),
            f"<{f.ctx['customer_email']}>" if f.ctx.get("customer_email") else None,
            f"({f.email.customer_id})",
        )
        if part
    )
    return Message(
        subject=f.words["subject"].format(customer=who, amount=amount, number=f.ctx["number"]),
        title=f.words["title"],
        paragraphs=[
            f.words["intro"].format(customer=who, number=f.ctx["number"], amount=amount, attempt=f.ctx["attempt"])
        ],
        highlight=(f.words["amount"], amount),
        facts=[
            (f.words["customer"], customer),
            (f.words["number"], f.ctx["number"]),
            (f.words["reason"], " ".join([_reason(f), *(f"({code})" for code in f.ctx.get("codes") or () if code)])),
            (f.words["attempted_at"], datetime_text(f.ctx.get("attempted_at"), f.locale)),
            (f.words["attempt"], str(f.ctx["attempt"])),
            (f.words["next_retry"], retry or f.words["none"]),
        ],
        action=(f.words["action"], url) if url else None,
    )


def overdue_digest(f: Facts) -> Message:
    rows = f.ctx["invoices"]
    as_of = f.date("as_of")
    totals: dict[str, int] = {}
    for row in rows:
        totals[row["currency"]] = totals.get(row["currency"], 0) + int(row["amount"])
    total = f.common["separator"].join(format_amount(v, c, f.locale) for c, v in sorted(totals.items()))
    count = int(f.ctx.get("count") or len(rows))
    table = [[f.words["number"], f.words["customer"], f.words["amount"], f.words["due"], f.words["overdue"]]]
    for row in rows:
        table.append(
            [
                row["number"],
                row["customer"],
                format_amount(int(row["amount"]), row["currency"], f.locale),
                date_text(row["due"], f.locale),
                f.common["days"].format(days=days_between(int(row["due"]), int(f.ctx["as_of"]))),
            ]
        )
    message = Message(
        subject=f.words["subject"].format(count=count, date=as_of),
        title=f.words["title"],
        paragraphs=[f.words["intro"].format(date=as_of, count=count, total=total)],
        table=table,
    )
    if count > len(rows):
        message.small_print.append(f.common["and_more"].format(count=count - len(rows)))
    return message


def team_alert(f: Facts) -> Message:
    body = str(f.ctx.get("body") or "")
    return Message(
        subject=str(f.ctx.get("subject") or ""), title=str(f.ctx.get("subject") or ""), paragraphs=body.split("\n\n")
    )


BUILDERS: dict[str, Callable[[Facts], Message]] = {
    Kind.TRIAL_ENDING: trial_ending,
    Kind.UPCOMING_RENEWAL: upcoming_renewal,
    Kind.CARD_EXPIRING: card_expiring,
    Kind.PAYMENT_SUCCEEDED: payment_succeeded,
    Kind.PAYMENT_FAILED: payment_failed,
    Kind.INVOICE_FINALIZED: invoice_finalized,
    Kind.PAST_DUE_REMINDER: past_due_reminder,
    Kind.CREDIT_NOTE_ISSUED: credit_note_issued,
    Kind.PAYMENT_FAILED_ALERT: payment_failed_alert,
    Kind.OVERDUE_DIGEST: overdue_digest,
    Kind.TEAM_ALERT: team_alert,
}

# Customer emails about an unpaid send_invoice invoice carry the bank-transfer details.
WITH_BANK_DETAILS = frozenset({Kind.INVOICE_FINALIZED, Kind.PAST_DUE_REMINDER})
CUSTOMER_KINDS = frozenset(
    {
        Kind.TRIAL_ENDING,
        Kind.UPCOMING_RENEWAL,
        Kind.CARD_EXPIRING,
        Kind.PAYMENT_SUCCEEDED,
        Kind.PAYMENT_FAILED,
        Kind.INVOICE_FINALIZED,
        Kind.PAST_DUE_REMINDER,
        Kind.CREDIT_NOTE_ISSUED,
    }
)


def message_for(email: OutboundEmail) -> Message:
    facts = Facts(email)
    message = BUILDERS[email.kind](facts)
    if email.kind in CUSTOMER_KINDS:
        message.greeting = facts.greeting()
    return message
