"""Emails and their attempts in their wire shape (``email``, a Seikyu extension)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from seikyu.core.clock import to_unix

from .models import EmailAttempt, OutboundEmail


def render_attempt(attempt: EmailAttempt) -> dict[str, Any]:
    return {
        "attempted_at": to_unix(attempt.attempted_at),
        "duration_ms": attempt.duration_ms,
        "error": attempt.error,
        "succeeded": attempt.succeeded,
    }


def _attachment(attachment: dict[str, Any]) -> dict[str, Any] | None:
    if attachment.get("kind") == "logo":
        return None  # the inline logo is part of the layout, not something the customer opens
    return {
        "credit_note": attachment.get("credit_note"),
        "document": attachment.get("document"),
        "filename": attachment.get("filename"),
        "invoice": attachment.get("invoice"),
        "kind": attachment.get("kind"),
    }


def render_email(email: OutboundEmail, attempts: Iterable[EmailAttempt] | None = None) -> dict[str, Any]:
    """``attempts``, when given, are listed (oldest first) as ``attempts``."""
    rendered: dict[str, Any] = {
        "id": email.id,
        "object": "email",
        "attachments": [a for a in map(_attachment, email.attachments) if a is not None],
        "attempt_count": email.attempt_count,
        "cc": list(email.cc),
        "created": to_unix(email.created),
        "customer": email.customer_id,
        "dedupe_key": email.dedupe_key,
        "from": email.from_email,
        "html": email.html,
        "invoice": email.invoice_id,
        "kind": email.kind,
        "last_error": email.last_error,
        "livemode": email.livemode,
        "locale": email.locale,
        "message_id": email.message_id,
        "next_attempt_at": to_unix(email.next_attempt_at),
        "reply_to": list(email.reply_to),
        "sent_at": to_unix(email.sent_at),
        "status": email.status,
        "subject": email.subject,
        "subscription": email.subscription_id,
        "test_clock": email.test_clock_id,
        "text": email.text,
        "to": list(email.to),
    }
    if attempts is not None:
        rendered["attempts"] = [render_attempt(a) for a in attempts]
    return rendered
