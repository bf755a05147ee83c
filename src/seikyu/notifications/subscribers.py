"""Event subscribers: they run inside the transaction that emitted the events (outbox
guarantee), receive the events of one ``emit_many`` as a list, and keep to a constant number of
quick queries per list — the bill run emits thousands of events per batch. They queue the
event-driven emails (receipts, failed payments, send_invoice invoices, credit notes, the team's
alert) and keep the schedule of time-driven notices current. A subscriber's own failure is logged and never
undoes the billing change that triggered it."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from functools import wraps
from typing import Any

from django.db import transaction

from seikyu.account.services import get_account_settings
from seikyu.billing.models import CreditNote, Customer, PaymentIntent, TaxRate
from seikyu.core.clock import from_unix, to_unix
from seikyu.documents.labels import locale_for
from seikyu.events.models import Event

from . import alerts
from .models import Kind, OutboundEmail, ScheduledNotice
from .schedule import add, expiry_notice_at, forget, next_morning, reconcile
from .services import credit_note_attachment, document_attachment, new_email, queue

logger = logging.getLogger("seikyu.notifications")

INVOICE_EVENTS = (
    "invoice.finalized",
    "invoice.sent",
    "invoice.paid",
    "invoice.payment_failed",
    "invoice.voided",
    "invoice.marked_uncollectible",
    "invoice.deleted",
)
SUBSCRIPTION_EVENTS = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
)
CLOCK_EVENTS = ("test_helpers.test_clock.deleted",)
CREDIT_NOTE_EVENTS = ("credit_note.created",)
CARD_EVENTS = (
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "payment_method.updated",
    "payment_method.detached",
)

SUBSCRIPTION_NOTICES = (Kind.TRIAL_ENDING, Kind.UPCOMING_RENEWAL)
RENEWING = ("active", "past_due")
_MONTHS = {"month": 1, "year": 12}

Pairs = list[tuple[Event, dict[str, Any]]]


def contained(handler: Callable[[Sequence[Event]], None]) -> Callable[[Sequence[Event]], None]:
    """Log a handler's failure instead of raising it: a notification bug must not stop billing.
    Handlers write inside ``transaction.atomic()`` (a savepoint), opened only once they know
    there is something to write, so a failed statement is undone without spoiling the billing
    transaction and a batch with nothing for them costs no query."""

    @wraps(handler)
    def run(events: Sequence[Event]) -> None:
        try:
            handler(events)
        except Exception:
            logger.exception("%s failed on %d events; their notifications are lost", handler.__name__, len(events))

    return run


def latest_objects(events: Iterable[Event]) -> dict[str, tuple[Event, dict[str, Any]]]:
    """Each object's last event of the list, with its wire object."""
    found: dict[str, tuple[Event, dict[str, Any]]] = {}
    for event in events:
        obj = event.data["object"]
        found[str(obj["id"])] = (event, obj)
    return found


def _customers(ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = Customer.objects.filter(id__in=wanted, deleted_at__isnull=True).values(
        "id", "email", "name", "preferred_locales"
    )
    return {row["id"]: dict(row) for row in rows}


# --------------------------------------------------------------------------- invoices


def _failure_codes(invoice_ids: Sequence[str]) -> dict[str, tuple[str | None, ...]]:
    """Per invoice, the decline and error codes of its latest failed attempt (one query)."""
    codes: dict[str, tuple[str | None, ...]] = {}
    if not invoice_ids:
        return codes
    intents = (
        PaymentIntent.objects.filter(invoice_id__in=invoice_ids, last_payment_error__isnull=False)
        .order_by("created", "id")
        .values_list("invoice_id", "last_payment_error")
    )
    for invoice_id, error in intents:
        if invoice_id and error:
            codes[invoice_id] = (error.get("decline_code"), error.get("code"))
    return codes


def _invoice_email(
    kind: str, event: Event, invoice: dict[str, Any], customer: dict[str, Any] | None, **kw: Any
) -> OutboundEmail | None:
    address = (customer or {}).get("email") or invoice.get("customer_email")
    if not address or customer is None:
        return None
    return new_email(
        kind,
        livemode=event.livemode,
        created=event.created,
        to=[address],
        locale=locale_for(customer.get("preferred_locales")),
        customer_id=invoice["customer"],
        invoice_id=invoice["id"],
        subscription_id=_subscription_of(invoice),
        test_clock_id=invoice.get("test_clock"),
        **kw,
    )


def _subscription_of(invoice: dict[str, Any]) -> str | None:
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    return details.get("subscription")


def _base(invoice: dict[str, Any], customer: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "customer_name": (customer or {}).get("name") or invoice.get("customer_name"),
        "number": invoice.get("number") or invoice["id"],
        "currency": invoice["currency"],
    }


def _receipt(event: Event, invoice: dict[str, Any], customer: dict[str, Any] | None) -> OutboundEmail | None:
    return _invoice_email(
        Kind.PAYMENT_SUCCEEDED,
        event,
        invoice,
        customer,
        dedupe_key=f"payment_succeeded:{invoice['id']}",
        context={
            **_base(invoice, customer),
            "amount": invoice["amount_paid"],
            "paid_at": (invoice.get("status_transitions") or {}).get("paid_at") or int(event.created.timestamp()),
        },
        attachments=[document_attachment(invoice["id"], "receipt")],
    )


def _failed(
    event: Event, invoice: dict[str, Any], customer: dict[str, Any] | None, codes: Sequence[str | None]
) -> OutboundEmail | None:
    return _invoice_email(
        Kind.PAYMENT_FAILED,
        event,
        invoice,
        customer,
        dedupe_key=f"payment_failed:{invoice['id']}:{invoice['attempt_count']}",
        context={
            **_base(invoice, customer),
            "amount": invoice["amount_remaining"],
            "attempted_at": int(event.created.timestamp()),
            "next_retry": invoice.get("next_payment_attempt"),
            "codes": list(codes),
        },
    )


def _sending_key(event: Event, invoice: dict[str, Any]) -> str:
    """One email per invoice for the sending that comes with finalization (``invoice.finalized``
    with auto_advance, and the ``invoice.sent`` the engine adds at that instant); a ``/send``
    asked for later is a sending of its own."""
    finalized_at = (invoice.get("status_transitions") or {}).get("finalized_at")
    automatic = event.type == "invoice.finalized" or finalized_at == int(event.created.timestamp())
    return f"invoice_finalized:{invoice['id']}" + ("" if automatic else f":{event.id}")


def _sent(event: Event, invoice: dict[str, Any], customer: dict[str, Any] | None) -> OutboundEmail | None:
    return _invoice_email(
        Kind.INVOICE_FINALIZED,
        event,
        invoice,
        customer,
        dedupe_key=_sending_key(event, invoice),
        context={**_base(invoice, customer), "amount": invoice["amount_remaining"], "due": invoice.get("due_date")},
        attachments=[document_attachment(invoice["id"], "invoice")],
    )


def _is_bank_transfer_due(invoice: dict[str, Any]) -> bool:
    return (
        invoice.get("collection_method") == "send_invoice"
        and invoice.get("status") == "open"
        and int(invoice.get("amount_remaining") or 0) > 0
    )


@contained
def on_invoice_events(events: Sequence[Event]) -> None:
    by_type: dict[str, Pairs] = {}
    for event in events:
        by_type.setdefault(event.type, []).append((event, event.data["object"]))
    failed = by_type.get("invoice.payment_failed", [])
    paid = [(e, inv) for e, inv in by_type.get("invoice.paid", []) if int(inv.get("amount_paid") or 0) > 0]
    finalized = [(e, inv) for e, inv in by_type.get("invoice.finalized", []) if _is_bank_transfer_due(inv)]
    sent = [(e, inv) for e, inv in by_type.get("invoice.sent", []) if _is_bank_transfer_due(inv)]
    sent += [(e, inv) for e, inv in finalized if inv.get("auto_advance")]
    # Only bank-transfer invoices have reminders waiting.
    closed = {
        inv["id"]
        for kind in ("invoice.paid", "invoice.voided", "invoice.marked_uncollectible", "invoice.deleted")
        for _, inv in by_type.get(kind, [])
        if inv.get("collection_method") == "send_invoice"
    }
    if failed or paid or finalized or sent or closed:
        with transaction.atomic():
            _queue_invoice_emails(failed, paid, sent)
            _schedule_reminders([inv for _, inv in sent])
            _schedule_digests([inv for _, inv in finalized])
            forget([Kind.PAST_DUE_REMINDER], closed)


def _queue_invoice_emails(failed: Pairs, paid: Pairs, sent: Pairs) -> None:
    if not (failed or paid or sent):
        return
    account = get_account_settings()
    customers = _customers(inv["customer"] for e, inv in (*failed, *paid, *sent))
    codes = _failure_codes([inv["id"] for _, inv in failed])
    emails: list[OutboundEmail | None] = []
    if account.payment_succeeded_enabled:
        emails += [_receipt(e, inv, customers.get(inv["customer"])) for e, inv in paid]
    if account.payment_failed_enabled:
        emails += [_failed(e, inv, customers.get(inv["customer"]), _codes(inv, codes)) for e, inv in failed]
    if account.invoice_finalized_enabled:
        emails += [_sent(e, inv, customers.get(inv["customer"])) for e, inv in sent]
    if account.alert_recipients:
        emails += [
            alerts.payment_failed_alert(
                inv,
                customers.get(inv["customer"]),
                _codes(inv, codes),
                created=e.created,
                to=list(account.alert_recipients),
            )
            for e, inv in failed
        ]
    queue(email for email in emails if email is not None)


def _codes(invoice: dict[str, Any], codes: dict[str, tuple[str | None, ...]]) -> tuple[str | None, ...]:
    # A failure with no attempt behind it: the invoice had no payment method to charge.
    return codes.get(invoice["id"], ("no_payment_method",))


def _schedule_reminders(invoices: Sequence[dict[str, Any]]) -> None:
    """Reminders after the due date of invoices sent to their customers (sending one again
    leaves its reminders where they are)."""
    reminders = [
        ScheduledNotice(
            kind=Kind.PAST_DUE_REMINDER,
            object_id=inv["id"],
            livemode=inv["livemode"],
            test_clock_id=inv.get("test_clock"),
            occasion_at=due,
        )
        for inv in invoices
        if (due := from_unix(inv.get("due_date"))) is not None
    ]
    add(reminders)


def _schedule_digests(invoices: Sequence[dict[str, Any]]) -> None:
    """The team's morning digest of each invoice's scope (live, test, or its test clock) looks
    at the first morning after the earliest due date."""
    digests: dict[str, ScheduledNotice] = {}
    for inv in invoices:
        due = from_unix(inv.get("due_date"))
        if due is None:
            continue
        scope = inv.get("test_clock") or ("live" if inv["livemode"] else "test")
        first = next_morning(due)
        if scope not in digests or first < digests[scope].occasion_at:
            digests[scope] = ScheduledNotice(
                kind=Kind.OVERDUE_DIGEST,
                object_id=scope,
                livemode=inv["livemode"],
                test_clock_id=inv.get("test_clock"),
                occasion_at=first,
            )
    if not digests:
        return
    add(list(digests.values()))
    for row in digests.values():  # a scope waiting for a later morning must look at this one first
        ScheduledNotice.objects.filter(
            kind=Kind.OVERDUE_DIGEST, object_id=row.object_id, occasion_at__gt=row.occasion_at
        ).update(occasion_at=row.occasion_at)


# --------------------------------------------------------------------------- credit notes


@contained
def on_credit_note_events(events: Sequence[Event]) -> None:
    with transaction.atomic():
        _queue_credit_note_emails([str(event.data["object"]["id"]) for event in events])


def _queue_credit_note_emails(note_ids: Sequence[str]) -> None:
    """Each issued credit note to its customer, with its document: the invoice it corrects, the
    amounts per tax rate and where the money goes (three queries besides the settings)."""
    if not get_account_settings().credit_note_issued_enabled:
        return
    notes = {
        note_id: note
        for note_id, note in CreditNote.objects.select_related("invoice").in_bulk(note_ids).items()
        if note.email_type != CreditNote.EmailType.NONE
    }
    customers = _customers(note.customer_id for note in notes.values())
    rates = TaxRate.objects.in_bulk({t["tax_rate_details"]["tax_rate"] for n in notes.values() for t in n.total_taxes})
    emails = (_credit_note_email(note, customers.get(note.customer_id), rates) for note in notes.values())
    queue(email for email in emails if email is not None)


def _credit_note_email(
    note: CreditNote, customer: dict[str, Any] | None, rates: dict[str, TaxRate]
) -> OutboundEmail | None:
    if customer is None or not customer.get("email"):
        return None
    invoice = note.invoice
    return new_email(
        Kind.CREDIT_NOTE_ISSUED,
        livemode=note.livemode,
        created=note.created,
        to=[customer["email"]],
        locale=locale_for(customer.get("preferred_locales")),
        dedupe_key=f"credit_note_issued:{note.id}",
        context={
            "customer_name": customer.get("name") or invoice.customer_name,
            "number": note.number,
            "invoice_number": invoice.number,
            "currency": note.currency,
            "amount": note.total,
            "issued_at": to_unix(note.effective_at),
            "reason": note.reason,
            "taxes": [
                {
                    "percentage": str(rates[rate_id].percentage),
                    "country": rates[rate_id].country,
                    "inclusive": tax["tax_behavior"] == "inclusive",
                    "taxable_amount": tax["taxable_amount"],
                    "tax_amount": tax["amount"],
                }
                for tax in note.total_taxes
                if (rate_id := tax["tax_rate_details"]["tax_rate"]) in rates
            ],
            # Where the money goes: off what the invoice still owed, back to the card (refunds the
            # note made or accounts for), onto the customer's balance, or returned outside Seikyu.
            "pre_payment": note.pre_payment_amount,
            "refund": note.post_payment_amount - note.credit_amount - (note.out_of_band_amount or 0),
            "credit": note.credit_amount,
            "out_of_band": note.out_of_band_amount or 0,
        },
        customer_id=note.customer_id,
        invoice_id=invoice.id,
        subscription_id=invoice.subscription_id,
        test_clock_id=invoice.test_clock_id,
        attachments=[credit_note_attachment(note.id)],
    )


# --------------------------------------------------------------------------- subscriptions


def _period(sub: dict[str, Any]) -> tuple[dt.datetime | None, dt.datetime | None, dict[str, Any]]:
    items = (sub.get("items") or {}).get("data") or []
    if not items:
        return None, None, {}
    first = items[0]
    recurring = (first.get("price") or {}).get("recurring") or {}
    return from_unix(first.get("current_period_start")), from_unix(first.get("current_period_end")), recurring


def subscription_notices(sub: dict[str, Any]) -> list[ScheduledNotice]:
    """The notices a subscription in this state is waiting for."""
    common = {"object_id": sub["id"], "livemode": sub["livemode"], "test_clock_id": sub.get("test_clock")}
    wanted = []
    trial_end = from_unix(sub.get("trial_end"))
    if sub["status"] == "trialing" and trial_end is not None:
        wanted.append(ScheduledNotice(kind=Kind.TRIAL_ENDING, occasion_at=trial_end, **common))
    start, end, recurring = _period(sub)
    cancel_at = from_unix(sub.get("cancel_at"))
    if end is None:
        return wanted
    renews = (
        sub["status"] in RENEWING
        and not sub.get("cancel_at_period_end")
        and (cancel_at is None or cancel_at > end)
        and not sub.get("pause_collection")
        and recurring.get("interval") in _MONTHS
    )
    if renews:
        count = int(recurring.get("interval_count") or 1)
        wanted.append(
            ScheduledNotice(
                kind=Kind.UPCOMING_RENEWAL,
                occasion_at=end,
                not_before=start,
                period_months=_MONTHS[recurring["interval"]] * count,
                data={"interval": recurring["interval"], "interval_count": count},
                **common,
            )
        )
    return wanted


@contained
def on_subscription_events(events: Sequence[Event]) -> None:
    latest = latest_objects(events)
    wanted = [notice for _, sub in latest.values() for notice in subscription_notices(sub)]
    with transaction.atomic():
        reconcile(SUBSCRIPTION_NOTICES, latest.keys(), wanted)


# --------------------------------------------------------------------------- cards


def _customer_ids(events: Sequence[Event]) -> set[str]:
    ids = set()
    for event in events:
        obj = event.data["object"]
        if event.type.startswith("customer."):
            changed = event.data.get("previous_attributes") or {}
            if event.type != "customer.updated" or "invoice_settings" in changed:
                ids.add(str(obj["id"]))
        else:
            owner = obj.get("customer") or (event.data.get("previous_attributes") or {}).get("customer")
            if owner:
                ids.add(str(owner))
    return ids


@contained
def on_card_events(events: Sequence[Event]) -> None:
    ids = _customer_ids(events)
    if ids:
        with transaction.atomic():
            _schedule_cards(ids)


def _schedule_cards(ids: set[str]) -> None:
    wanted = []
    for customer in Customer.objects.filter(id__in=ids, deleted_at__isnull=True).select_related(
        "default_payment_method"
    ):
        pm = customer.default_payment_method
        if pm is None or pm.type != "card" or not pm.card_exp_year or not pm.card_exp_month:
            continue
        wanted.append(
            ScheduledNotice(
                kind=Kind.CARD_EXPIRING,
                object_id=customer.id,
                livemode=customer.livemode,
                test_clock_id=customer.test_clock_id,
                occasion_at=expiry_notice_at(pm.card_exp_year, pm.card_exp_month),
                data={
                    "payment_method": pm.id,
                    "brand": pm.card_brand,
                    "last4": pm.card_last4,
                    "exp_month": pm.card_exp_month,
                    "exp_year": pm.card_exp_year,
                },
            )
        )
    reconcile([Kind.CARD_EXPIRING], ids, wanted)


@contained
def on_clock_events(events: Sequence[Event]) -> None:
    """A deleted test clock's notices will never come due."""
    with transaction.atomic():
        ScheduledNotice.objects.filter(test_clock_id__in=[e.data["object"]["id"] for e in events]).delete()
