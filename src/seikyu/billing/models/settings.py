from __future__ import annotations

from django.db import models

from seikyu.db.fields import JSONField


def default_retry_schedule_days() -> list[int]:
    # Four retries over about two weeks, close to common smart-retry practice.
    return [1, 3, 5, 7]


class BillingSettings(models.Model):
    """Account-wide billing behaviour, one row per mode (test and live are configured apart)."""

    livemode = models.BooleanField(unique=True)
    # How long a subscription invoice stays a draft before it finalizes (Stripe: about an hour).
    invoice_draft_window_seconds = models.PositiveIntegerField(default=3600)
    # "customer": customer prefix + per-customer sequence; "account": one sequence for all.
    invoice_numbering = models.CharField(max_length=10, default="customer")
    account_invoice_prefix = models.CharField(max_length=12, default="INV")
    next_account_invoice_sequence = models.PositiveIntegerField(default=1)
    # Rounding of tax, once per rate per invoice: "down" (切り捨て), "half_up" (四捨五入), "up" (切り上げ),
    # "half_even"; see seikyu.core.money.ROUNDING_MODES.
    tax_rounding = models.CharField(max_length=10, default="down")
    # Days between payment attempts after the first failure; the length is the number of retries.
    retry_schedule_days = JSONField(default=default_retry_schedule_days)
    # After the last retry fails: subscription "cancel" | "unpaid" | "past_due"; invoice
    # "uncollectible" | "open".
    subscription_after_retries = models.CharField(max_length=10, default="cancel")
    invoice_after_retries = models.CharField(max_length=15, default="uncollectible")
    # send_invoice invoices this many days past due get the same end behaviour (None = never).
    send_invoice_overdue_days = models.PositiveIntegerField(null=True, blank=True, default=30)
    # invoice.upcoming is emitted this many days before a renewal.
    upcoming_renewal_days = models.PositiveIntegerField(default=7)

    def __str__(self) -> str:
        return f"billing settings ({'live' if self.livemode else 'test'})"
