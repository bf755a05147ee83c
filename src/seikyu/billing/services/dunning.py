"""When a failed invoice payment is tried again, and what happens when trying stops.

Pure functions of the invoice's state and the account's ``BillingSettings``; the invoice services
apply their answers. The rules (also in README-invoices.md):

- Only invoices that advance on their own (``auto_advance``) are retried; a subscription's first
  invoice never is (the subscription is ``incomplete`` and expires on its own clock instead).
- Attempt 1 is the first charge. After attempt ``n`` fails, attempt ``n + 1`` happens
  ``retry_schedule_days[n - 1]`` days later; when the schedule is used up, the failure is final.
- A payment that needs the customer to authenticate is not retried automatically (nobody is there
  to authenticate); if nobody pays, the end behaviour applies when the schedule would have ended.
- The end behaviour: the invoice becomes ``uncollectible`` or stays ``open``
  (``invoice_after_retries``); the subscription is told the failure was final.
- ``send_invoice`` invoices become overdue at ``due_date`` and get the same end behaviour
  ``send_invoice_overdue_days`` after it (never when that is unset).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from seikyu.billing.models import BillingSettings, Invoice


def retries_apply(invoice: Invoice) -> bool:
    return invoice.auto_advance and invoice.billing_reason != Invoice.BillingReason.SUBSCRIPTION_CREATE


@dataclass(frozen=True)
class AfterFailure:
    # When to try again; None when no automatic attempt follows.
    next_payment_attempt: dt.datetime | None
    # When the end behaviour applies if nobody pays before, for failures that are not retried.
    deadline: dt.datetime | None
    # The schedule is used up: apply the end behaviour now.
    final: bool


def after_failure(invoice: Invoice, settings: BillingSettings, *, at: dt.datetime, retryable: bool) -> AfterFailure:
    """What follows the failure of attempt number ``invoice.attempt_count`` (already counted)."""
    if not retries_apply(invoice):
        return AfterFailure(next_payment_attempt=None, deadline=None, final=False)
    schedule = [int(days) for days in settings.retry_schedule_days]
    done = invoice.attempt_count - 1  # retries already made
    if done >= len(schedule):
        return AfterFailure(next_payment_attempt=None, deadline=None, final=True)
    if retryable:
        return AfterFailure(next_payment_attempt=at + dt.timedelta(days=schedule[done]), deadline=None, final=False)
    return AfterFailure(next_payment_attempt=None, deadline=at + dt.timedelta(days=sum(schedule[done:])), final=False)


def status_after_final(settings: BillingSettings) -> str:
    """The invoice's status once collection gives up."""
    if settings.invoice_after_retries == "uncollectible":
        return Invoice.Status.UNCOLLECTIBLE
    return Invoice.Status.OPEN


def overdue_final_at(invoice: Invoice, settings: BillingSettings) -> dt.datetime | None:
    """When an unpaid send_invoice invoice gets the end behaviour."""
    if invoice.due_date is None or settings.send_invoice_overdue_days is None:
        return None
    return invoice.due_date + dt.timedelta(days=settings.send_invoice_overdue_days)
