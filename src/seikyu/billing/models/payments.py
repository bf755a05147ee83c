from __future__ import annotations

from django.db import models

from seikyu.db.fields import JSONField

from .base import WireObject, list_index


class PaymentIntent(WireObject):
    class Status(models.TextChoices):
        REQUIRES_PAYMENT_METHOD = "requires_payment_method"
        REQUIRES_CONFIRMATION = "requires_confirmation"
        REQUIRES_ACTION = "requires_action"
        PROCESSING = "processing"
        REQUIRES_CAPTURE = "requires_capture"
        CANCELED = "canceled"
        SUCCEEDED = "succeeded"

    amount = models.BigIntegerField()
    amount_received = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    customer = models.ForeignKey(
        "Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="payment_intents"
    )
    invoice = models.ForeignKey(
        "Invoice", null=True, blank=True, on_delete=models.SET_NULL, related_name="payment_intents"
    )
    payment_method = models.ForeignKey(
        "PaymentMethod", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=30, choices=Status.choices)
    description = models.TextField(null=True, blank=True)
    last_payment_error = JSONField(null=True, blank=True)
    next_action = JSONField(null=True, blank=True)
    latest_charge = models.ForeignKey("Charge", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    canceled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.CharField(max_length=40, null=True, blank=True)
    client_secret = models.CharField(max_length=100)

    class Meta:
        indexes = [list_index("paymentintent")]


class Charge(WireObject):
    amount = models.BigIntegerField()
    amount_captured = models.BigIntegerField(default=0)
    amount_refunded = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    customer = models.ForeignKey("Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="charges")
    payment_intent = models.ForeignKey(
        PaymentIntent, null=True, blank=True, on_delete=models.SET_NULL, related_name="charges"
    )
    payment_method = models.ForeignKey(
        "PaymentMethod", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10)  # succeeded | pending | failed
    paid = models.BooleanField(default=False)
    captured = models.BooleanField(default=False)
    refunded = models.BooleanField(default=False)
    failure_code = models.CharField(max_length=50, null=True, blank=True)
    failure_message = models.CharField(max_length=500, null=True, blank=True)
    outcome = JSONField(null=True, blank=True)
    payment_method_details = JSONField(null=True, blank=True)
    description = models.TextField(null=True, blank=True)
    gateway_reference = models.CharField(max_length=255, null=True, blank=True)

    class Meta:
        indexes = [list_index("charge")]


class Refund(WireObject):
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="refunds")
    payment_intent = models.ForeignKey(
        PaymentIntent, null=True, blank=True, on_delete=models.SET_NULL, related_name="refunds"
    )
    reason = models.CharField(max_length=40, null=True, blank=True)
    status = models.CharField(max_length=20, default="succeeded")
    gateway_reference = models.CharField(max_length=255, null=True, blank=True)

    class Meta:
        indexes = [list_index("refund")]
