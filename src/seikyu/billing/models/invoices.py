from __future__ import annotations

from django.db import models

from seikyu.db.fields import JSONField

from .base import WireObject, list_index


class Invoice(WireObject):
    class Status(models.TextChoices):
        DRAFT = "draft"
        OPEN = "open"
        PAID = "paid"
        VOID = "void"
        UNCOLLECTIBLE = "uncollectible"

    class BillingReason(models.TextChoices):
        MANUAL = "manual"
        SUBSCRIPTION_CREATE = "subscription_create"
        SUBSCRIPTION_CYCLE = "subscription_cycle"
        SUBSCRIPTION_UPDATE = "subscription_update"
        SUBSCRIPTION_THRESHOLD = "subscription_threshold"
        QUOTE_ACCEPT = "quote_accept"
        UPCOMING = "upcoming"

    # No index of its own: a Meta index starts with it (another would only slow every write).
    customer = models.ForeignKey("Customer", on_delete=models.PROTECT, related_name="invoices", db_index=False)
    subscription = models.ForeignKey(
        "Subscription", null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices"
    )
    status = models.CharField(max_length=15, choices=Status.choices, default="draft")
    billing_reason = models.CharField(max_length=30, choices=BillingReason.choices, default="manual")
    collection_method = models.CharField(max_length=20, default="charge_automatically")
    currency = models.CharField(max_length=3)
    # Assigned at finalization; unique within a mode (test and live number independently).
    number = models.CharField(max_length=64, null=True, blank=True)
    description = models.TextField(null=True, blank=True)
    footer = models.TextField(null=True, blank=True)
    custom_fields = JSONField(null=True, blank=True)
    statement_descriptor = models.CharField(max_length=22, null=True, blank=True)
    auto_advance = models.BooleanField(default=False)
    default_payment_method = models.ForeignKey(
        "PaymentMethod", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    default_tax_rates = JSONField(default=list, blank=True)  # ["txr_…"]
    discount_ids = JSONField(default=list, blank=True)  # ["di_…"] applied to this invoice
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    due_date = models.DateTimeField(null=True, blank=True)
    days_until_due = models.PositiveIntegerField(null=True, blank=True)
    # Totals, all in minor units. total = subtotal - discounts + exclusive tax.
    subtotal = models.BigIntegerField(default=0)
    subtotal_excluding_tax = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)
    total_excluding_tax = models.BigIntegerField(default=0)
    total_discount_amounts = JSONField(default=list, blank=True)  # [{"amount", "discount"}]
    # [{"amount","tax_behavior","tax_rate_details":{"tax_rate"},"taxability_reason","taxable_amount","type"}]
    total_taxes = JSONField(default=list, blank=True)
    starting_balance = models.BigIntegerField(default=0)
    ending_balance = models.BigIntegerField(null=True, blank=True)
    amount_due = models.BigIntegerField(default=0)
    amount_paid = models.BigIntegerField(default=0)
    amount_remaining = models.BigIntegerField(default=0)
    amount_overpaid = models.BigIntegerField(default=0)
    attempted = models.BooleanField(default=False)
    attempt_count = models.PositiveIntegerField(default=0)
    next_payment_attempt = models.DateTimeField(null=True, blank=True)
    paid_out_of_band = models.BooleanField(default=False)
    # Customer details copied at finalization (a finalized invoice never changes).
    customer_email = models.CharField(max_length=512, null=True, blank=True)
    customer_name = models.CharField(max_length=256, null=True, blank=True)
    customer_phone = models.CharField(max_length=20, null=True, blank=True)
    customer_address = JSONField(null=True, blank=True)
    customer_tax_exempt = models.CharField(max_length=10, default="none")
    customer_tax_ids = JSONField(default=list, blank=True)
    # The issuer's details (business name, registration number, address, bank account) as they
    # were when the invoice was finalized: documents render from this, never from later settings.
    issuer = JSONField(null=True, blank=True)
    effective_at = models.DateTimeField(null=True, blank=True)
    finalized_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    marked_uncollectible_at = models.DateTimeField(null=True, blank=True)
    # When a draft with auto_advance finalizes (Stripe: automatically_finalizes_at).
    automatically_finalizes_at = models.DateTimeField(null=True, blank=True)
    # No index of its own: a Meta index starts with it (another would only slow every write).
    test_clock = models.ForeignKey(
        "TestClock", null=True, blank=True, on_delete=models.PROTECT, related_name="invoices", db_index=False
    )
    # The billing clock's work list for invoices: finalization, retries, due date, reminders.
    next_action_at = models.DateTimeField(null=True, blank=True)
    overdue_sent_at = models.DateTimeField(null=True, blank=True)
    # "<subscription>:<period start unix>" for cycle invoices: a second bill run for the same
    # period hits this unique key instead of billing twice.
    cycle_key = models.CharField(max_length=100, null=True, blank=True, unique=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["livemode", "number"], name="invoice_number_unique")]
        indexes = [
            list_index("invoice"),
            models.Index(fields=["test_clock", "next_action_at"], name="invoice_due_idx"),
            models.Index(fields=["customer", "-created"], name="invoice_customer_idx"),
            models.Index(fields=["livemode", "status", "-created"], name="invoice_status_idx"),
        ]


class InvoiceLineItem(WireObject):
    # No index of its own: a Meta index starts with it (another would only slow every write).
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines", db_index=False)
    position = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3)
    description = models.TextField(null=True, blank=True)
    # Pre-discount amount of the line; for tax-inclusive prices it includes the tax (as Stripe).
    amount = models.BigIntegerField()
    quantity = models.BigIntegerField(null=True, blank=True)
    unit_amount = models.BigIntegerField(null=True, blank=True)
    price = models.ForeignKey("Price", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    proration = models.BooleanField(default=False)
    subscription = models.ForeignKey("Subscription", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    subscription_item = models.CharField(max_length=64, null=True, blank=True)  # "si_…"
    invoice_item = models.ForeignKey("InvoiceItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    discountable = models.BooleanField(default=True)
    discount_amounts = JSONField(default=list, blank=True)  # [{"amount", "discount"}]
    tax_rates = JSONField(default=list, blank=True)  # ["txr_…"]
    taxes = JSONField(default=list, blank=True)  # same shape as Invoice.total_taxes

    class Meta:
        ordering = ["position"]
        indexes = [models.Index(fields=["invoice", "position"], name="line_position_idx")]


class InvoiceItem(WireObject):
    """A pending charge or credit for a customer, pulled into the next invoice (``ii_``)."""

    # No index of its own: a Meta index starts with it (another would only slow every write).
    customer = models.ForeignKey("Customer", on_delete=models.CASCADE, related_name="invoice_items", db_index=False)
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.SET_NULL, related_name="invoice_items")
    subscription = models.ForeignKey(
        "Subscription", null=True, blank=True, on_delete=models.SET_NULL, related_name="invoice_items"
    )
    subscription_item = models.CharField(max_length=64, null=True, blank=True)
    currency = models.CharField(max_length=3)
    amount = models.BigIntegerField()
    unit_amount = models.BigIntegerField(null=True, blank=True)
    quantity = models.BigIntegerField(default=1)
    description = models.TextField(null=True, blank=True)
    price = models.ForeignKey("Price", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    proration = models.BooleanField(default=False)
    discountable = models.BooleanField(default=True)
    tax_rates = JSONField(default=list, blank=True)
    date = models.DateTimeField()
    test_clock = models.ForeignKey("TestClock", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            list_index("invoiceitem"),
            models.Index(fields=["customer", "invoice"], name="invoiceitem_pending_idx"),
        ]


class InvoicePayment(WireObject):
    """One payment (or attempt) towards an invoice: Stripe's ``invoice_payment``."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="payments")
    currency = models.CharField(max_length=3)
    amount_requested = models.BigIntegerField()
    amount_paid = models.BigIntegerField(null=True, blank=True)
    is_default = models.BooleanField(default=True)
    status = models.CharField(max_length=10, default="open")  # open | paid | canceled
    # "payment_intent" or "out_of_band"
    payment_type = models.CharField(max_length=20, default="payment_intent")
    payment_intent = models.ForeignKey(
        "PaymentIntent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created", "id"]
