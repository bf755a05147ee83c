from __future__ import annotations

from django.db import models

from seikyu.db.fields import JSONField

from .base import WireObject, list_index


class Subscription(WireObject):
    class Status(models.TextChoices):
        INCOMPLETE = "incomplete"
        INCOMPLETE_EXPIRED = "incomplete_expired"
        TRIALING = "trialing"
        ACTIVE = "active"
        PAST_DUE = "past_due"
        CANCELED = "canceled"
        UNPAID = "unpaid"
        PAUSED = "paused"

    class CollectionMethod(models.TextChoices):
        CHARGE_AUTOMATICALLY = "charge_automatically"
        SEND_INVOICE = "send_invoice"

    # No index of its own: a Meta index starts with it (another would only slow every write).
    customer = models.ForeignKey("Customer", on_delete=models.PROTECT, related_name="subscriptions", db_index=False)
    status = models.CharField(max_length=20, choices=Status.choices)
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=500, null=True, blank=True)
    collection_method = models.CharField(
        max_length=20, choices=CollectionMethod.choices, default="charge_automatically"
    )
    days_until_due = models.PositiveIntegerField(null=True, blank=True)
    default_payment_method = models.ForeignKey(
        "PaymentMethod", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    default_tax_rates = JSONField(default=list, blank=True)  # ["txr_…"]
    billing_cycle_anchor = models.DateTimeField()
    # All items share one period here; the API renders it on each item as Stripe does.
    current_period_start = models.DateTimeField()
    current_period_end = models.DateTimeField()
    start_date = models.DateTimeField()
    trial_start = models.DateTimeField(null=True, blank=True)
    trial_end = models.DateTimeField(null=True, blank=True)
    # trial_settings.end_behavior.missing_payment_method: cancel | create_invoice | pause
    trial_missing_payment_method = models.CharField(max_length=20, default="create_invoice")
    cancel_at = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    canceled_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    cancellation_details = JSONField(default=dict, blank=True)
    # {"behavior": "keep_as_draft"|"mark_uncollectible"|"void", "resumes_at": int|None} or None
    pause_collection = JSONField(null=True, blank=True)
    latest_invoice = models.ForeignKey("Invoice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # No index of its own: a Meta index starts with it (another would only slow every write).
    test_clock = models.ForeignKey(
        "TestClock", null=True, blank=True, on_delete=models.PROTECT, related_name="subscriptions", db_index=False
    )
    # The billing clock's work list: the earliest time something is due for this subscription
    # (renewal, trial end, reminders, cancel_at, incomplete expiry). Null when nothing is.
    next_action_at = models.DateTimeField(null=True, blank=True)
    # Markers that make time-driven notices happen once per trial / period.
    trial_will_end_sent_at = models.DateTimeField(null=True, blank=True)
    upcoming_sent_for_period_end = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            list_index("subscription"),
            models.Index(fields=["test_clock", "next_action_at"], name="subscription_due_idx"),
            models.Index(fields=["customer", "status"], name="subscription_customer_idx"),
        ]


class SubscriptionItem(WireObject):
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="items")
    price = models.ForeignKey("Price", on_delete=models.PROTECT, related_name="subscription_items")
    quantity = models.PositiveIntegerField(default=1)
    tax_rates = JSONField(default=list, blank=True)  # ["txr_…"]

    class Meta:
        indexes = [list_index("subscriptionitem")]
