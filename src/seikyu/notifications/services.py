"""The email outbox: queueing, sending through Django's email backend, retrying, resending.

Emails are queued as rows in the transaction that decides them (an event subscriber, timed
work, an alert), so an email exists exactly when its cause committed. ``send_due_emails`` — a
worker job — claims due rows (``SKIP LOCKED`` on PostgreSQL) by pushing ``next_attempt_at`` a
lease ahead and committing, then renders what is not rendered yet, sends, and records every
attempt. A worker killed mid-send leaves its rows due again when the lease ends, so nothing is
lost; an email the server had accepted just before the kill is sent again (at least once).
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.message import MIMEPart
from email.utils import format_datetime, parseaddr
from typing import Any

from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.utils import DNS_NAME
from django.db import connection, transaction
from django.db.models import F

from seikyu.account.models import AccountSettings, File
from seikyu.account.services import get_account_settings
from seikyu.billing.models import CreditNote, Invoice
from seikyu.core.clock import real_now
from seikyu.core.errors import InvalidRequest, ResourceMissing
from seikyu.core.ids import new_id
from seikyu.db.rows import bulk_insert, new_row
from seikyu.documents.models import Document
from seikyu.documents.services import credit_note_document_for, document_for

from .compose import LOGO_CID, compose, inline_logo
from .models import EmailAttempt, OutboundEmail

logger = logging.getLogger("seikyu.notifications")

Status = OutboundEmail.Status
# Wait after the n-th failed try; after the last, the email is failed (8 tries over ~10 hours).
BACKOFF = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=15),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=1),
    dt.timedelta(hours=2),
    dt.timedelta(hours=6),
)
MAX_TRIES = len(BACKOFF) + 1
# Longer than a batch takes to render and send; a claimed row is due again after it.
LEASE = dt.timedelta(minutes=10)
MAX_BATCH = 50
ERROR_CHARS = 1000

_FILENAMES = {
    ("invoice", "ja"): "請求書_{number}.pdf",
    ("receipt", "ja"): "領収書_{number}.pdf",
    ("credit_note", "ja"): "返還請求書_{number}.pdf",
    ("invoice", "en"): "invoice-{number}.pdf",
    ("receipt", "en"): "receipt-{number}.pdf",
    ("credit_note", "en"): "credit-note-{number}.pdf",
}


# --------------------------------------------------------------------------- queueing


def document_attachment(invoice_id: str, kind: str) -> dict[str, Any]:
    """An attachment to render when the email is sent: the invoice's ``kind`` PDF in the email's language."""
    return {"kind": kind, "invoice": invoice_id, "document": None, "filename": None}


def credit_note_attachment(credit_note_id: str) -> dict[str, Any]:
    """An attachment to render when the email is sent: the credit note's PDF in the email's language."""
    return {"kind": "credit_note", "credit_note": credit_note_id, "document": None, "filename": None}


def new_email(
    kind: str,
    *,
    livemode: bool,
    created: dt.datetime,
    to: Sequence[str],
    dedupe_key: str,
    context: Mapping[str, Any],
    locale: str = "ja",
    customer_id: str | None = None,
    invoice_id: str | None = None,
    subscription_id: str | None = None,
    test_clock_id: str | None = None,
    attachments: Sequence[Mapping[str, Any]] = (),
    send_at: dt.datetime | None = None,
) -> OutboundEmail:
    """An unsaved outbox row; ``queue`` writes many at once."""
    return new_row(
        OutboundEmail,
        id=new_id("em"),
        livemode=livemode,
        created=created,
        kind=kind,
        to=list(to),
        locale=locale,
        dedupe_key=dedupe_key[:200],
        context=dict(context),
        attachments=[dict(a) for a in attachments],
        customer_id=customer_id,
        invoice_id=invoice_id,
        subscription_id=subscription_id,
        test_clock_id=test_clock_id,
        next_attempt_at=send_at or real_now(),
    )


def queue(emails: Iterable[OutboundEmail]) -> None:
    """Write emails with one statement; one whose ``dedupe_key`` exists already is left out."""
    bulk_insert(list(emails), skip_existing=["dedupe_key"])


def resend_email(email_id: str, *, livemode: bool) -> OutboundEmail:
    """Send an email again as it was first rendered (a new round of tries, a new Message-ID)."""
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().filter(id=email_id, livemode=livemode).first()
        if email is None:
            raise ResourceMissing("email", email_id)
        if email.status == Status.QUEUED and email.attempt_count == 0:
            raise InvalidRequest(f"The email {email_id} has not been sent yet; it goes out shortly.")
        email.status = Status.QUEUED
        email.next_attempt_at = real_now()
        email.tries = 0
        email.round += 1
        if email.from_email:
            email.message_id = _message_id(email)
        email.save(update_fields=["status", "next_attempt_at", "tries", "round", "message_id"])
    return email


# --------------------------------------------------------------------------- sending


def send_due_emails(limit: int = MAX_BATCH, *, now: dt.datetime | None = None) -> int:
    """The worker job: send one batch of due emails; returns how many were attempted (0: none due)."""
    now = now or real_now()
    emails = _claim(now, min(limit, MAX_BATCH))
    if not emails:
        return 0
    outcomes = {email.id: Outcome() for email in emails}
    mailer = mailers.default
    try:
        mailer.open()
    except Exception as exc:
        # The server is unreachable: nothing is rendered, every email of the batch waits for its next try.
        for outcome in outcomes.values():
            outcome.error = f"could not connect to the mail server: {type(exc).__name__}: {exc}"
    else:
        try:
            _send(mailer, _render(emails, outcomes), outcomes)
        finally:
            _close(mailer)
    _record(emails, outcomes, now)
    return len(emails)


def _claim(now: dt.datetime, limit: int) -> list[OutboundEmail]:
    with transaction.atomic():
        due = OutboundEmail.objects.filter(status=Status.QUEUED, next_attempt_at__lte=now).order_by(
            "next_attempt_at", "id"
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        OutboundEmail.objects.filter(id__in=ids).update(
            next_attempt_at=now + LEASE, attempt_count=F("attempt_count") + 1, tries=F("tries") + 1
        )
        return list(OutboundEmail.objects.filter(id__in=ids).order_by("next_attempt_at", "id"))


@dataclass
class Outcome:
    error: str | None = None
    permanent: bool = False
    duration_ms: int = 0


def _message_id(email: OutboundEmail) -> str:
    domain = parseaddr(email.from_email or "")[1].rpartition("@")[2] or str(DNS_NAME)
    return f"<{email.id}.{email.round}@{domain}>"


def _filename(kind: str, locale: str, number: str) -> str:
    return _FILENAMES.get((kind, locale), "{number}.pdf").format(number=number)


def _render(emails: Sequence[OutboundEmail], outcomes: dict[str, Outcome]) -> list[OutboundEmail]:
    """Render the content and documents of emails sent for the first time (and keep them)."""
    account: AccountSettings | None = None
    logo: str | None = None
    rendered: list[OutboundEmail] = []
    ready = []
    for email in emails:
        try:
            changed = False
            if email.subject is None:
                if account is None:
                    account = get_account_settings()
                    logo = inline_logo(account)
                made = compose(email, account, logo)
                email.subject, email.text, email.html = made.subject, made.text, made.html
                email.from_email, email.reply_to = made.from_email, made.reply_to
                email.message_id = _message_id(email)
                if made.logo_file:
                    email.attachments.append({"kind": "logo", "file": made.logo_file, "cid": LOGO_CID})
                changed = True
            changed = _store_documents(email) or changed
        except Exception as exc:
            logger.exception("could not render email %s", email.id)
            outcomes[email.id].error = f"could not render the email: {type(exc).__name__}: {exc}"
            continue
        if changed:
            rendered.append(email)
        ready.append(email)
    if rendered:
        OutboundEmail.objects.bulk_update(
            rendered, ["subject", "text", "html", "from_email", "reply_to", "message_id", "attachments"]
        )
    return ready


def _store_documents(email: OutboundEmail) -> bool:
    """Issue (or find) the PDFs to attach; returns whether any was new to this email."""
    missing = [a for a in email.attachments if (a.get("invoice") or a.get("credit_note")) and not a.get("document")]
    if not missing:
        return False
    invoices = Invoice.objects.select_related("customer").in_bulk({a["invoice"] for a in missing if a.get("invoice")})
    notes = CreditNote.objects.select_related("customer").in_bulk(
        {a["credit_note"] for a in missing if a.get("credit_note")}
    )
    for attachment in missing:
        if attachment.get("credit_note"):
            document = credit_note_document_for(notes[attachment["credit_note"]], email.locale)
        else:
            document = document_for(invoices[attachment["invoice"]], attachment["kind"], email.locale)
        attachment["document"] = document.id
        attachment["filename"] = _filename(attachment["kind"], document.locale, document.number)
    return True


def _message(
    email: OutboundEmail, documents: Mapping[str, Document], files: Mapping[str, File]
) -> EmailMultiAlternatives:
    headers = {"Message-ID": email.message_id or "", "X-Seikyu-Email": email.id, "Auto-Submitted": "auto-generated"}
    if email.test_clock_id:
        # What the customer's inbox would have shown on the clock's day.
        headers["Date"] = format_datetime(email.created)
        headers["X-Seikyu-Test-Clock"] = email.test_clock_id
    message = EmailMultiAlternatives(
        email.subject or "",
        email.text or "",
        email.from_email,
        email.to,
        cc=email.cc or None,
        reply_to=email.reply_to or None,
        headers=headers,
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    for attachment in email.attachments:
        if attachment.get("kind") == "logo":
            image = files.get(attachment["file"])
            if image is not None:
                part = MIMEPart()
                subtype = "png" if image.type == "png" else "jpeg"
                part.set_content(
                    bytes(image.content),
                    maintype="image",
                    subtype=subtype,
                    disposition="inline",
                    filename=f"logo.{image.type}",
                    cid=f"<{attachment['cid']}>",
                )
                message.attach(part)
        elif attachment.get("document"):
            document = documents[attachment["document"]]
            message.attach(attachment["filename"], bytes(document.pdf), "application/pdf")
    return message


def _permanent(exc: BaseException) -> bool:
    """A refusal the server says is final (5xx): retrying would only repeat it."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return type(exc).__name__ == "AnymailRecipientsRefused"


def _send(mailer: Any, emails: Sequence[OutboundEmail], outcomes: dict[str, Outcome]) -> None:
    documents = Document.objects.in_bulk([a["document"] for e in emails for a in e.attachments if a.get("document")])
    files = File.objects.in_bulk([a["file"] for e in emails for a in e.attachments if a.get("kind") == "logo"])
    for email in emails:
        outcome = outcomes[email.id]
        started = time.monotonic()
        try:
            if not mailer.send_messages([_message(email, documents, files)]):
                outcome.error = "the email backend did not send the message"
        except Exception as exc:
            outcome.error = f"{type(exc).__name__}: {exc}"
            outcome.permanent = _permanent(exc)
            if isinstance(exc, (smtplib.SMTPServerDisconnected, OSError)):
                _reopen(mailer)
        outcome.duration_ms = int((time.monotonic() - started) * 1000)


def _close(mailer: Any) -> None:
    try:
        mailer.close()
    except Exception:
        logger.warning("closing the mail connection failed", exc_info=True)


def _reopen(mailer: Any) -> None:
    try:
        mailer.close()
        mailer.open()
    except Exception:
        logger.warning("reconnecting to the mail server failed", exc_info=True)


def _record(emails: Sequence[OutboundEmail], outcomes: Mapping[str, Outcome], now: dt.datetime) -> None:
    attempts = []
    finished = real_now()
    for email in emails:
        outcome = outcomes[email.id]
        error = outcome.error[:ERROR_CHARS] if outcome.error else None
        attempts.append(
            EmailAttempt(
                email_id=email.id,
                attempted_at=now,
                succeeded=error is None,
                error=error,
                duration_ms=outcome.duration_ms,
            )
        )
        if error is None:
            email.status, email.next_attempt_at, email.sent_at, email.last_error = Status.SENT, None, finished, None
            continue
        email.last_error = error
        if outcome.permanent or email.tries >= MAX_TRIES:
            email.status, email.next_attempt_at = Status.FAILED, None
            logger.warning("email %s failed after %d tries: %s", email.id, email.tries, error)
        else:
            email.next_attempt_at = now + BACKOFF[email.tries - 1]
    with transaction.atomic():
        EmailAttempt.objects.bulk_create(attempts)
        OutboundEmail.objects.bulk_update(emails, ["status", "next_attempt_at", "sent_at", "last_error"])
