from __future__ import annotations

from django.db import models

from seikyu.db.fields import JSONField


def default_reminder_days() -> list[int]:
    return [1, 7, 14]


class AccountSettings(models.Model):
    """The account's public identity, document defaults and customer-email switches: one row,
    shared by test and live mode (a business has one name and one registration number).

    Every column is a leaf of the nested ``account_settings`` object; ``seikyu.account.fields``
    maps wire paths to columns and holds the checks.
    """

    # Always 1: there is exactly one account per installation.
    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    updated = models.DateTimeField()

    business_name = models.CharField(max_length=100, null=True, blank=True)
    business_name_en = models.CharField(max_length=100, null=True, blank=True)
    # {"country","postal_code","state","city","line1","line2"}; Japanese order and script for ja
    # documents, ``address_en`` (optional) for English ones.
    address = JSONField(null=True, blank=True)
    address_en = JSONField(null=True, blank=True)
    address_shown = models.BooleanField(default=True)
    # 適格請求書発行事業者登録番号, "T" + 13 digits with a valid check digit.
    registration_number = models.CharField(max_length=14, null=True, blank=True)

    support_phone = models.CharField(max_length=30, null=True, blank=True)
    support_phone_shown = models.BooleanField(default=True)
    support_email = models.CharField(max_length=254, null=True, blank=True)
    support_email_shown = models.BooleanField(default=True)
    support_url = models.CharField(max_length=500, null=True, blank=True)
    support_url_shown = models.BooleanField(default=True)

    logo = models.ForeignKey("File", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    brand_color = models.CharField(max_length=7, default="#1F3A5F")
    accent_color = models.CharField(max_length=7, default="#EEF2F7")
    statement_descriptor = models.CharField(max_length=22, null=True, blank=True)

    invoice_memo = models.TextField(null=True, blank=True)
    invoice_footer = models.TextField(null=True, blank=True)

    # The bank-transfer block of send_invoice invoices.
    bank_name = models.CharField(max_length=60, null=True, blank=True)
    bank_branch_name = models.CharField(max_length=60, null=True, blank=True)
    bank_branch_code = models.CharField(max_length=3, null=True, blank=True)
    bank_account_type = models.CharField(max_length=5, null=True, blank=True)  # futsu (普通) | toza (当座)
    bank_account_number = models.CharField(max_length=7, null=True, blank=True)
    # Half-width katakana as the bank shows it to payers (ｶ)ｾｲｷﾕｳ).
    bank_account_holder = models.CharField(max_length=48, null=True, blank=True)
    bank_transfer_note = models.TextField(null=True, blank=True)

    email_sender_name = models.CharField(max_length=100, null=True, blank=True)
    email_sender_address = models.CharField(max_length=254, null=True, blank=True)
    email_reply_to = models.CharField(max_length=254, null=True, blank=True)
    alert_recipients = JSONField(default=list, blank=True)

    trial_ending_enabled = models.BooleanField(default=True)
    trial_ending_days = models.PositiveSmallIntegerField(default=7)
    # When it goes out is the billing setting ``upcoming_renewal_days`` (per mode), which times
    # ``invoice.upcoming`` too: one number for the event and the email.
    upcoming_renewal_enabled = models.BooleanField(default=True)
    card_expiring_enabled = models.BooleanField(default=True)
    payment_succeeded_enabled = models.BooleanField(default=True)
    payment_failed_enabled = models.BooleanField(default=True)
    invoice_finalized_enabled = models.BooleanField(default=True)
    past_due_reminders_enabled = models.BooleanField(default=False)
    past_due_reminder_days = JSONField(default=default_reminder_days, blank=True)
    credit_note_issued_enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="account_settings_single_row")]

    def __str__(self) -> str:
        return self.business_name or "account settings"


class File(models.Model):
    """An uploaded file (Stripe's ``file``), kept in the database so every web process and worker
    sees it. Files are never changed: a new logo is a new file."""

    id = models.CharField(primary_key=True, max_length=64)  # "file_…"
    livemode = models.BooleanField(default=False)
    created = models.DateTimeField()
    purpose = models.CharField(max_length=40)
    filename = models.CharField(max_length=255)
    title = models.CharField(max_length=255, null=True, blank=True)
    type = models.CharField(max_length=10)  # png | jpg | svg
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()

    class Meta:
        indexes = [models.Index(fields=["livemode", "-created", "-id"], name="file_list_idx")]

    def __str__(self) -> str:
        return self.id
