from __future__ import annotations

from django.db import models

from seikyu.db.fields import JSONField

from .base import WireObject, list_index


class CreditNote(WireObject):
    """A correction of a finalized invoice (``cn_``), issued as its own document (適格返還請求書).

    ``pre_payment_amount`` lowered the invoice's ``amount_due``/``amount_remaining``;
    ``post_payment_amount`` went back to the customer as ``refund_amount`` (refunds, linked in
    ``CreditNoteRefund``) + ``credit_amount`` (customer balance) + ``out_of_band_amount``."""

    class Status(models.TextChoices):
        ISSUED = "issued"
        VOID = "void"

    class Type(models.TextChoices):
        PRE_PAYMENT = "pre_payment"
        POST_PAYMENT = "post_payment"
        MIXED = "mixed"

    class EmailType(models.TextChoices):
        CREDIT_NOTE = "credit_note"
        NONE = "none"

    # No index of its own: a Meta index starts with it (another would only slow every write).
    invoice = models.ForeignKey("Invoice", on_delete=models.PROTECT, related_name="credit_notes", db_index=False)
    # No index of its own: a Meta index starts with it (another would only slow every write).
    customer = models.ForeignKey("Customer", on_delete=models.PROTECT, related_name="credit_notes", db_index=False)
    # "<invoice number>-CN-01", "-CN-02", … in the order the invoice's notes were issued.
    number = models.CharField(max_length=80)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default="issued")
    type = models.CharField(max_length=15, choices=Type.choices)
    reason = models.CharField(max_length=30, null=True, blank=True)
    memo = models.TextField(null=True, blank=True)
    effective_at = models.DateTimeField()
    voided_at = models.DateTimeField(null=True, blank=True)
    # Amounts in minor units, positive: what is credited. total = subtotal - discounts + exclusive tax.
    subtotal = models.BigIntegerField()
    subtotal_excluding_tax = models.BigIntegerField()
    discount_amount = models.BigIntegerField(default=0)
    discount_amounts = JSONField(default=list, blank=True)  # [{"amount", "discount"}]
    total = models.BigIntegerField()
    total_excluding_tax = models.BigIntegerField()
    total_taxes = JSONField(default=list, blank=True)  # same shape as Invoice.total_taxes
    pre_payment_amount = models.BigIntegerField(default=0)
    post_payment_amount = models.BigIntegerField(default=0)
    refund_amount = models.BigIntegerField(default=0)
    credit_amount = models.BigIntegerField(default=0)
    out_of_band_amount = models.BigIntegerField(null=True, blank=True)
    customer_balance_transaction = models.ForeignKey(
        "CustomerBalanceTransaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The issuer's details as they were when the note was issued (``issuer_snapshot()``): its
    # document renders from this, whenever it is first rendered, never from later settings.
    issuer = JSONField(null=True, blank=True)
    # The ``email_type`` it was issued with: ``none`` keeps the customer email back. Not on the wire.
    email_type = models.CharField(max_length=15, choices=EmailType.choices, default=EmailType.CREDIT_NOTE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["livemode", "number"], name="credit_note_number_unique")]
        indexes = [
            list_index("creditnote"),
            models.Index(fields=["invoice", "created"], name="credit_note_invoice_idx"),
            models.Index(fields=["customer", "-created"], name="credit_note_customer_idx"),
        ]


class CreditNoteLineItem(WireObject):
    class Type(models.TextChoices):
        INVOICE_LINE_ITEM = "invoice_line_item"
        CUSTOM_LINE_ITEM = "custom_line_item"

    # No index of its own: a Meta index starts with it (another would only slow every write).
    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines", db_index=False)
    position = models.PositiveIntegerField(default=0)
    type = models.CharField(max_length=20, choices=Type.choices)
    invoice_line_item = models.ForeignKey(
        "InvoiceLineItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(null=True, blank=True)
    quantity = models.BigIntegerField(null=True, blank=True)
    unit_amount = models.BigIntegerField(null=True, blank=True)
    # Credited before discounts (for tax-inclusive rates the amount holds the tax, as on invoices).
    amount = models.BigIntegerField()
    discount_amount = models.BigIntegerField(default=0)
    discount_amounts = JSONField(default=list, blank=True)  # [{"amount", "discount"}]
    tax_rates = JSONField(default=list, blank=True)  # ["txr_…"]
    taxes = JSONField(default=list, blank=True)  # same shape as InvoiceLineItem.taxes

    class Meta:
        ordering = ["position"]
        indexes = [models.Index(fields=["credit_note", "position"], name="cn_line_position_idx")]


class CreditNoteRefund(models.Model):
    """A refund (made by the note, or an earlier one linked to it) and how much of it the note covers."""

    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="refund_links")
    refund = models.ForeignKey("Refund", on_delete=models.PROTECT, related_name="credit_note_links")
    amount_refunded = models.BigIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.refund_id} for {self.credit_note_id}"


class CustomerBalanceTransaction(WireObject):
    """One change of a customer's balance (``cbtxn_``): ``ending_balance`` is the balance right
    after it. Negative amounts are credit for the customer, positive ones debit."""

    # No index of its own: a Meta index starts with it (another would only slow every write).
    customer = models.ForeignKey(
        "Customer", on_delete=models.CASCADE, related_name="balance_transactions", db_index=False
    )
    type = models.CharField(max_length=30)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    ending_balance = models.BigIntegerField()
    description = models.CharField(max_length=350, null=True, blank=True)
    invoice = models.ForeignKey("Invoice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    credit_note = models.ForeignKey(
        CreditNote, null=True, blank=True, on_delete=models.SET_NULL, related_name="balance_transactions"
    )

    class Meta:
        indexes = [
            list_index("cbtxn"),
            models.Index(fields=["customer", "-created", "-id"], name="cbtxn_customer_idx"),
        ]
