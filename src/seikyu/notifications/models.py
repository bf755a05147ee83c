"""The email outbox, its attempt log, and the schedule of time-driven notices."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from seikyu.db.fields import JSONField
from seikyu.db.rows import BulkRow


class Kind(models.TextChoices):
    TRIAL_ENDING = "trial_ending"
    UPCOMING_RENEWAL = "upcoming_renewal"
    CARD_EXPIRING = "card_expiring"
    PAYMENT_SUCCEEDED = "payment_succeeded"
    PAYMENT_FAILED = "payment_failed"
    INVOICE_FINALIZED = "invoice_finalized"
    PAST_DUE_REMINDER = "past_due_reminder"
    CREDIT_NOTE_ISSUED = "credit_note_issued"
    # To the team's alert recipients.
    PAYMENT_FAILED_ALERT = "payment_failed_alert"
    OVERDUE_DIGEST = "overdue_digest"
    TEAM_ALERT = "team_alert"


class OutboundEmail(BulkRow):
    """One email to send (``em_…``). Queued with what it is about (``context``: the facts at the
    moment it was due); its subject, bodies and attachments are rendered when it is first sent and
    kept, so the row shows exactly what went out. ``next_attempt_at`` is when a worker should send
    it; claiming pushes it forward by a lease, so a worker that dies mid-send leaves it due again."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        SENT = "sent"
        FAILED = "failed"

    id = models.CharField(primary_key=True, max_length=64)
    livemode = models.BooleanField()
    # The time of what it is about: a test clock's time for objects on a clock.
    created = models.DateTimeField()
    kind = models.CharField(max_length=30, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    to = JSONField(default=list)
    cc = JSONField(default=list, blank=True)
    locale = models.CharField(max_length=5, default="ja")
    # Makes a second queueing of the same notice a no-op ("receipt:in_…", "trial_ending:sub_…:<unix>").
    dedupe_key = models.CharField(max_length=200, unique=True)
    context = JSONField(default=dict, blank=True)
    # [{"kind": "invoice"|"receipt", "invoice": "in_…", "document": "doc_…"|None, "filename": …}],
    # a credit note's: {"kind": "credit_note", "credit_note": "cn_…", …}
    attachments = JSONField(default=list, blank=True)
    customer_id = models.CharField(max_length=64, null=True, blank=True)
    invoice_id = models.CharField(max_length=64, null=True, blank=True)
    subscription_id = models.CharField(max_length=64, null=True, blank=True)
    test_clock_id = models.CharField(max_length=64, null=True, blank=True)
    # Rendered at the first attempt.
    from_email = models.CharField(max_length=400, null=True, blank=True)
    reply_to = JSONField(default=list, blank=True)
    subject = models.TextField(null=True, blank=True)
    text = models.TextField(null=True, blank=True)
    html = models.TextField(null=True, blank=True)
    message_id = models.CharField(max_length=300, null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    attempt_count = models.PositiveIntegerField(default=0)
    # Attempts since it was queued or last resent: what the backoff and the give-up count.
    tries = models.PositiveIntegerField(default=0)
    # Every resend starts a new round with its own Message-ID.
    round = models.PositiveIntegerField(default=1)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=1000, null=True, blank=True)

    class Meta:
        verbose_name = "email"
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(next_attempt_at__isnull=False), name="email_due_idx"),
            models.Index(fields=["livemode", "-created", "-id"], name="email_list_idx"),
            models.Index(fields=["customer_id", "-created"], name="email_customer_idx"),
            models.Index(fields=["invoice_id", "-created"], name="email_invoice_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.kind} → {', '.join(self.to)}"


class EmailAttempt(models.Model):
    # No index of its own: a Meta index starts with it (another would only slow every write).
    email = models.ForeignKey(OutboundEmail, on_delete=models.DB_CASCADE, related_name="attempts", db_index=False)
    attempted_at = models.DateTimeField()
    succeeded = models.BooleanField()
    # What the mail server (or the renderer) said, cut to a readable length.
    error = models.CharField(max_length=1000, null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["email", "attempted_at"], name="email_attempt_idx")]

    def __str__(self) -> str:
        return f"{self.email_id} at {self.attempted_at:%Y-%m-%d %H:%M:%S}: {'sent' if self.succeeded else self.error}"


class ScheduledNotice(models.Model):
    """A time-driven notice waiting for its moment: one row per (kind, object), kept up to date by
    the event subscribers. It is due at ``max(occasion_at + offset, not_before)`` where the offset
    comes from the current settings (``-N days`` before a trial ends, ``+d days`` after a due date
    for reminder step ``step``), so changing a setting moves pending notices too. ``done_at`` is
    set once the notice went out or was skipped; the row stays so a repeated event doesn't
    schedule it again, and goes when its occasion changes."""

    kind = models.CharField(max_length=30, choices=Kind.choices)
    # sub_… (trial, renewal), cus_… (card), in_… (reminders), or a digest scope.
    object_id = models.CharField(max_length=64)
    livemode = models.BooleanField()
    test_clock_id = models.CharField(max_length=64, null=True, blank=True)
    # What the notice is about: a trial's end, a period's end, a card's expiry month, a due date.
    occasion_at = models.DateTimeField()
    not_before = models.DateTimeField(null=True, blank=True)
    # Renewals: the plan's interval in months (12 for yearly), which decides whether it is reminded.
    period_months = models.PositiveSmallIntegerField(default=0)
    step = models.PositiveSmallIntegerField(default=0)
    data = JSONField(default=dict, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="notice_once_per_object")]
        indexes = [
            models.Index(
                fields=["test_clock_id", "kind", "occasion_at"],
                condition=Q(done_at__isnull=True),
                name="notice_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} @ {self.occasion_at:%Y-%m-%d %H:%M}"
