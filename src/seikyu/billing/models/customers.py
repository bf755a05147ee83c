from __future__ import annotations

from django.db import models

from seikyu.db.fields import JSONField

from .base import WireObject, list_index, mode_scoped


class Customer(WireObject):
    class TaxExempt(models.TextChoices):
        NONE = "none"
        EXEMPT = "exempt"
        REVERSE = "reverse"

    email = models.CharField(max_length=512, null=True, blank=True)
    name = models.CharField(max_length=256, null=True, blank=True)
    phone = models.CharField(max_length=20, null=True, blank=True)
    description = models.CharField(max_length=350, null=True, blank=True)
    # {"city","country","line1","line2","postal_code","state"} or None
    address = JSONField(null=True, blank=True)
    shipping = JSONField(null=True, blank=True)
    preferred_locales = JSONField(default=list, blank=True)
    tax_exempt = models.CharField(max_length=10, choices=TaxExempt.choices, default="none")
    # Credit (negative) or debit (positive) applied to the next invoice, minor units.
    balance = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, null=True, blank=True)
    delinquent = models.BooleanField(default=False)
    invoice_prefix = models.CharField(max_length=12)
    next_invoice_sequence = models.PositiveIntegerField(default=1)
    default_payment_method = models.ForeignKey(
        "PaymentMethod", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invoice_footer = models.TextField(null=True, blank=True)
    # [{"name": str, "value": str}] (at most 4) or None
    invoice_custom_fields = JSONField(null=True, blank=True)
    # {"amount_tax_display": ..., "template": ...} or None
    invoice_rendering_options = JSONField(null=True, blank=True)
    test_clock = models.ForeignKey(
        "TestClock", null=True, blank=True, on_delete=models.PROTECT, related_name="customers"
    )
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            list_index("customer"),
            models.Index(fields=["livemode", "email"], name="customer_email_idx"),
        ]


class TaxId(WireObject):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tax_ids")
    type = models.CharField(max_length=20)
    value = models.CharField(max_length=100)
    country = models.CharField(max_length=2, null=True, blank=True)

    class Meta:
        indexes = [list_index("taxid")]


class PaymentMethod(WireObject):
    """A card (or later other types). The gateway holds the real instrument; we keep its
    reference and the display details. ``sandbox_behavior`` drives the built-in sandbox gateway."""

    type = models.CharField(max_length=30, default="card")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="payment_methods"
    )
    billing_details = JSONField(default=dict, blank=True)
    card_brand = models.CharField(max_length=20, null=True, blank=True)
    card_last4 = models.CharField(max_length=4, null=True, blank=True)
    card_exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    card_exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    card_country = models.CharField(max_length=2, null=True, blank=True)
    card_funding = models.CharField(max_length=10, null=True, blank=True)
    card_fingerprint = models.CharField(max_length=32, null=True, blank=True)
    gateway = models.CharField(max_length=20, default="sandbox")
    gateway_reference = models.CharField(max_length=255, null=True, blank=True)
    # Sandbox only: what a charge on this card does ("succeed", "card_declined",
    # "insufficient_funds", "expired_card", "incorrect_cvc", "processing_error",
    # "authentication_required"); "fail_on_charge" attaches fine and then declines every charge.
    sandbox_behavior = models.CharField(max_length=30, null=True, blank=True)

    class Meta:
        indexes = [list_index("paymentmethod")]


class Discount(WireObject):
    """A coupon applied to a customer, a subscription or an invoice (Stripe's ``discount``)."""

    coupon_id = models.CharField(max_length=64)
    coupon = mode_scoped("Coupon", related_name="discounts")
    promotion_code = models.ForeignKey(
        "PromotionCode", null=True, blank=True, on_delete=models.SET_NULL, related_name="discounts"
    )
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="discounts")
    subscription = models.ForeignKey(
        "Subscription", null=True, blank=True, on_delete=models.CASCADE, related_name="discounts"
    )
    invoice = models.ForeignKey("Invoice", null=True, blank=True, on_delete=models.CASCADE, related_name="discounts")
    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True)
    # Set when the discount is removed or has run out; kept for history and invoices already made.
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [list_index("discount"), models.Index(fields=["livemode", "coupon_id"], name="discount_coupon_idx")]
