"""The time-driven notices, one batch at a time: each function receives the due
``ScheduledNotice`` rows of its kind (locked), checks them against the billing objects as they
are now (a trial extended or a card replaced since makes a notice moot), queues the emails with
one INSERT and marks the rows done. A constant number of queries per batch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import Q

from seikyu.account.models import AccountSettings
from seikyu.billing.models import Customer, Invoice, PaymentMethod, Subscription
from seikyu.billing.services.preview import upcoming_invoices
from seikyu.billing.services.subscription_state import load_bundles
from seikyu.core.clock import to_unix
from seikyu.documents.labels import locale_for

from . import alerts
from .models import Kind, OutboundEmail, ScheduledNotice
from .schedule import expiry_month_end, finish, next_morning, reminder_days
from .services import document_attachment, new_email, queue

SubStatus = Subscription.Status
Card = dict[str, Any] | None


def card_facts(pm: PaymentMethod | None) -> Card:
    if pm is None or pm.type != "card":
        return None
    return {"brand": pm.card_brand, "last4": pm.card_last4}


def recipient(customer: Customer) -> tuple[list[str], str] | None:
    """The customer's address and language, or None when there is nobody to write to."""
    if customer.deleted_at is not None or not customer.email:
        return None
    return [customer.email], locale_for(customer.preferred_locales)


def _customer_email(
    kind: str, customer: Customer, *, now: dt.datetime, dedupe_key: str, context: dict[str, Any], **kw: Any
) -> OutboundEmail | None:
    found = recipient(customer)
    if found is None:
        return None
    to, locale = found
    return new_email(
        kind,
        livemode=customer.livemode,
        created=now,
        to=to,
        locale=locale,
        dedupe_key=dedupe_key,
        context={"customer_name": customer.name, **context},
        customer_id=customer.id,
        test_clock_id=customer.test_clock_id,
        **kw,
    )


# --------------------------------------------------------------------------- subscriptions


def _subscriptions(rows: Sequence[ScheduledNotice]) -> dict[str, Subscription]:
    return Subscription.objects.select_related(
        "customer", "customer__default_payment_method", "default_payment_method"
    ).in_bulk([r.object_id for r in rows])


def _plan_name(items: Sequence[Any]) -> str:
    names = []
    for item in items:
        name = item.price.product.name
        names.append(f"{name} × {item.quantity}" if item.quantity and item.quantity > 1 else name)
    return " + ".join(names)


def _outcome(sub: Subscription, card: Card, *, in_trial: bool) -> str:
    """What happens at the renewal (or the trial's end), as a key of the kind's words."""
    if sub.collection_method == Subscription.CollectionMethod.SEND_INVOICE:
        return "invoice"
    if card is not None:
        return "charge"
    if in_trial and sub.trial_missing_payment_method in ("cancel", "pause"):
        return sub.trial_missing_payment_method
    return "invoice_no_card"


Valid = Callable[[Subscription, ScheduledNotice], bool]
Facts = Callable[[Subscription, Card, ScheduledNotice], dict[str, Any]]


def _subscription_emails(
    kind: str, rows: list[ScheduledNotice], now: dt.datetime, valid: Valid, facts: Facts
) -> list[OutboundEmail]:
    """Emails about the coming renewal (or trial end) of the rows' subscriptions still ``valid``,
    with the amount of the invoice it will make (a preview, rendered in one batch)."""
    subs = _subscriptions(rows)
    due = {
        row.object_id: row
        for row in rows
        if row.object_id in subs and valid(subs[row.object_id], row) and recipient(subs[row.object_id].customer)
    }
    if not due:
        return []
    bundles = load_bundles([subs[sub_id] for sub_id in due])
    previews = upcoming_invoices(bundles, now=now)
    emails = []
    for b in bundles:
        preview, row = previews.get(b.sub.id), due[b.sub.id]
        if preview is None:
            continue
        card = card_facts(b.sub.default_payment_method or b.sub.customer.default_payment_method)
        email = _customer_email(
            kind,
            b.sub.customer,
            now=now,
            dedupe_key=f"{kind}:{b.sub.id}:{to_unix(row.occasion_at)}",
            context={
                "plan": _plan_name(b.items),
                "amount": preview["amount_due"],
                "currency": preview["currency"],
                "card": card,
                "due_at": to_unix(now),
                **facts(b.sub, card, row),
            },
            subscription_id=b.sub.id,
        )
        if email is not None:
            emails.append(email)
    return emails


def trial_ending(rows: list[ScheduledNotice], now: dt.datetime, account: AccountSettings) -> None:
    if account.trial_ending_enabled:
        queue(
            _subscription_emails(
                Kind.TRIAL_ENDING,
                rows,
                now,
                lambda sub, row: sub.status == SubStatus.TRIALING and sub.trial_end == row.occasion_at,
                lambda sub, card, row: {
                    "trial_end": to_unix(row.occasion_at),
                    "outcome": _outcome(sub, card, in_trial=True),
                },
            )
        )
    finish(rows, now)


def _will_renew(sub: Subscription, row: ScheduledNotice) -> bool:
    return (
        sub.status in (SubStatus.ACTIVE, SubStatus.PAST_DUE)
        and sub.current_period_end == row.occasion_at
        and not sub.cancel_at_period_end
        and (sub.cancel_at is None or sub.cancel_at > sub.current_period_end)
        and not sub.pause_collection
    )


def upcoming_renewal(rows: list[ScheduledNotice], now: dt.datetime, account: AccountSettings) -> None:
    if account.upcoming_renewal_enabled:
        queue(
            _subscription_emails(
                Kind.UPCOMING_RENEWAL,
                rows,
                now,
                _will_renew,
                lambda sub, card, row: {
                    "renews_at": to_unix(row.occasion_at),
                    "outcome": _outcome(sub, card, in_trial=False),
                    "interval": row.data.get("interval"),
                    "interval_count": row.data.get("interval_count", 1),
                },
            )
        )
    finish(rows, now)


# --------------------------------------------------------------------------- cards


def card_expiring(rows: list[ScheduledNotice], now: dt.datetime, account: AccountSettings) -> None:
    if account.card_expiring_enabled:
        customers = Customer.objects.select_related("default_payment_method").in_bulk([r.object_id for r in rows])
        still: list[tuple[Customer, dict[str, Any]]] = []
        for row in rows:
            customer = customers.get(row.object_id)
            pm = customer.default_payment_method if customer else None
            card = row.data
            if customer is None or pm is None or pm.id != card.get("payment_method"):
                continue
            if (pm.card_exp_year, pm.card_exp_month) != (card.get("exp_year"), card.get("exp_month")):
                continue
            if now >= expiry_month_end(int(card["exp_year"]), int(card["exp_month"])):
                continue
            still.append((customer, card))
        open_invoices: dict[str, Invoice] = {}
        for unpaid in Invoice.objects.filter(
            customer_id__in=[c.id for c, _ in still], status=Invoice.Status.OPEN, amount_remaining__gt=0
        ).order_by("created", "id"):
            open_invoices[unpaid.customer_id] = unpaid  # the latest wins
        emails = []
        for customer, card in still:
            invoice = open_invoices.get(customer.id)
            email = _customer_email(
                Kind.CARD_EXPIRING,
                customer,
                now=now,
                dedupe_key=f"card_expiring:{customer.id}:{card['payment_method']}:{card['exp_year']}-{card['exp_month']}",
                context={"card": card, "number": invoice.number if invoice else None},
                invoice_id=invoice.id if invoice else None,
            )
            if email is not None:
                emails.append(email)
        queue(emails)
    finish(rows, now)


# --------------------------------------------------------------------------- unpaid invoices


def _unpaid(invoice: Invoice | None, row: ScheduledNotice) -> bool:
    return (
        invoice is not None
        and invoice.status == Invoice.Status.OPEN
        and invoice.amount_remaining > 0
        and invoice.due_date == row.occasion_at
    )


def _reminder(invoice: Invoice, days: int, now: dt.datetime) -> OutboundEmail | None:
    return _customer_email(
        Kind.PAST_DUE_REMINDER,
        invoice.customer,
        now=now,
        dedupe_key=f"past_due_reminder:{invoice.id}:{days}",
        context={
            "number": invoice.number,
            "amount": invoice.amount_remaining,
            "currency": invoice.currency,
            "due": to_unix(invoice.due_date),
            "days": days,
        },
        invoice_id=invoice.id,
        subscription_id=invoice.subscription_id,
        attachments=[document_attachment(invoice.id, "invoice")],
    )


def past_due_reminders(rows: list[ScheduledNotice], now: dt.datetime, account: AccountSettings) -> None:
    days = reminder_days(account)
    invoices = Invoice.objects.select_related("customer").in_bulk([r.object_id for r in rows])
    emails = []
    for row in rows:
        invoice = invoices.get(row.object_id)
        # When several reminders are due at once (the worker was down), only the latest goes out.
        due = [i for i in range(row.step, len(days)) if row.occasion_at + dt.timedelta(days=days[i]) <= now]
        if invoice is None or not _unpaid(invoice, row) or not due:
            row.step = len(days)
            continue
        row.step = due[-1] + 1
        if account.past_due_reminders_enabled and (email := _reminder(invoice, days[due[-1]], now)):
            emails.append(email)
    queue(emails)
    ScheduledNotice.objects.bulk_update(rows, ["step"])
    finish([row for row in rows if row.step >= len(days)], now)


def _scope_filter(row: ScheduledNotice) -> Q:
    return Q(livemode=row.livemode, test_clock_id=row.test_clock_id)


def overdue_digest(rows: list[ScheduledNotice], now: dt.datetime, account: AccountSettings) -> None:
    """Each scope (live, test, or a test clock) due for its morning digest: tell the team about
    its overdue bank-transfer invoices, then wait for the next morning while any are unpaid."""
    gone = []
    for row in rows:
        unpaid = list(
            Invoice.objects.filter(
                _scope_filter(row),
                status=Invoice.Status.OPEN,
                collection_method="send_invoice",
                due_date__isnull=False,
                amount_remaining__gt=0,
            ).order_by("due_date", "id")
        )
        overdue = [inv for inv in unpaid if inv.due_date is not None and inv.due_date < now]
        if overdue:
            alerts.queue_overdue_digest(
                overdue, scope=row.object_id, livemode=row.livemode, clock=row.test_clock_id, now=now
            )
            row.occasion_at = next_morning(now)
        elif unpaid:
            first_due = unpaid[0].due_date
            assert first_due is not None
            row.occasion_at = next_morning(max(first_due, now))
        else:
            gone.append(row.pk)
    ScheduledNotice.objects.bulk_update([r for r in rows if r.pk not in gone], ["occasion_at"])
    if gone:
        ScheduledNotice.objects.filter(pk__in=gone).delete()
