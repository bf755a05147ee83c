from __future__ import annotations

from typing import Any, NoReturn

from django.db import models


class WriteOnce(Exception):
    """An issued document was about to be changed or deleted."""


class DocumentQuerySet(models.QuerySet["Document"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise WriteOnce("issued documents are never changed")

    def delete(self) -> NoReturn:
        raise WriteOnce("issued documents are never deleted")


class Document(models.Model):
    """An issued PDF (invoice, receipt, credit note) in one language, exactly as it was sent.

    Written once and never changed: the database refuses UPDATE (a trigger, see ``apps``), and the
    model refuses updates and deletes. Indexed for the searches 電子帳簿保存法 asks for: issue
    date, amount and customer, alone or combined.
    """

    class Kind(models.TextChoices):
        INVOICE = "invoice"
        RECEIPT = "receipt"
        CREDIT_NOTE = "credit_note"

    id = models.CharField(primary_key=True, max_length=64)  # "doc_…"
    livemode = models.BooleanField(default=False)
    created = models.DateTimeField()
    object_id = models.CharField(max_length=64)  # in_… or cn_…
    kind = models.CharField(max_length=12, choices=Kind.choices)
    locale = models.CharField(max_length=5)  # ja | en
    # No index of its own: a Meta index starts with it (another would only slow every write).
    customer = models.ForeignKey("billing.Customer", on_delete=models.PROTECT, related_name="documents", db_index=False)
    number = models.CharField(max_length=64)
    issued_at = models.DateTimeField()
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    pdf = models.BinaryField()

    objects = DocumentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["object_id", "kind", "locale"], name="document_once_per_language")
        ]
        indexes = [
            models.Index(fields=["livemode", "issued_at"], name="document_issued_idx"),
            models.Index(fields=["livemode", "amount"], name="document_amount_idx"),
            models.Index(fields=["customer", "issued_at"], name="document_customer_idx"),
            models.Index(fields=["livemode", "-created", "-id"], name="document_list_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.number} ({self.locale})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise WriteOnce(f"document {self.id} is issued and cannot be changed")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise WriteOnce(f"document {self.id} is issued and cannot be deleted")
