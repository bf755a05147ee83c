"""Issued documents: rendered once, stored with their hash, never changed.

``document_for(invoice, kind, locale)`` renders a document the first time anyone needs it and
returns the stored one ever after, so an issued invoice's PDF keeps its bytes and SHA-256 even
when the account settings or the customer change later. Two processes asking at once both may
render, but only one row is ever stored (a unique constraint decides), and both get that row.
Rendering reads in batches (``sources.InvoiceData``); one document is a batch of one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from seikyu.account.services import issuer_snapshot
from seikyu.billing.models import CreditNote, Invoice
from seikyu.billing.render.credit_notes import credit_note_document_data, credit_note_documents_data
from seikyu.core.clock import real_now
from seikyu.core.errors import InvalidRequest
from seikyu.core.ids import new_id

from . import labels
from .content import CreditNoteData, credit_note_content, invoice_content, receipt_content
from .models import Document
from .sources import InvoiceData, issuer_logo
from .typesetting import typeset

logger = logging.getLogger(__name__)

Kind = Document.Kind
INVOICE_KINDS = (Kind.INVOICE, Kind.RECEIPT)
# How far back the worker looks for invoices still without their documents; older ones are
# rendered when first asked for.
PENDING_WINDOW = dt.timedelta(days=7)


# --------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    sha256: str
    issued_at: dt.datetime
    amount: int


def _rendered(content: Mapping[str, Any], issued_at: dt.datetime, amount: int) -> Rendered:
    pdf = typeset(content, timestamp=issued_at)
    return Rendered(pdf, hashlib.sha256(pdf).hexdigest(), issued_at, amount)


def _check_kind(kind: str) -> None:
    if kind not in INVOICE_KINDS:
        raise InvalidRequest(f"Invalid document kind for an invoice: {kind} (invoice or receipt).", param="kind")


def invoice_document_content(
    invoice: Invoice, kind: str, locale: str, data: InvoiceData | None = None
) -> tuple[dict[str, Any], dt.datetime, int]:
    """The printable content of an invoice's ``kind`` document, its issue time and its amount
    (``data``: loaded for a batch including this invoice; loaded here when omitted)."""
    _check_kind(kind)
    data = data or InvoiceData.load([invoice], payments=kind == Kind.RECEIPT)
    issuer = data.issuer(invoice)
    logo = issuer_logo(issuer)
    source = data.source(invoice, locale)
    if kind == Kind.RECEIPT:
        payment = data.payment(invoice)
        return receipt_content(source, payment, issuer, locale, logo_svg=logo), payment.paid_at, payment.amount
    return invoice_content(source, issuer, locale, logo_svg=logo), source.issued_at, source.total


def render_invoice_documents(invoices: Sequence[Invoice], kind: str, locales: Sequence[str]) -> list[Rendered]:
    """The ``kind`` PDFs of ``invoices`` (one locale each), rendered now, not stored; the data
    is read once for the whole batch."""
    data = InvoiceData.load(invoices, payments=kind == Kind.RECEIPT)
    return [
        _rendered(*invoice_document_content(invoice, kind, locale, data))
        for invoice, locale in zip(invoices, locales, strict=True)
    ]


def render_credit_note_document(note: CreditNoteData, locale: str) -> Rendered:
    """The PDF of a credit note in ``locale``, rendered now (not stored)."""
    issuer = dict(note.issuer) if note.issuer else issuer_snapshot()
    content = credit_note_content(note, issuer, locale, logo_svg=issuer_logo(issuer))
    return _rendered(content, note.issued_at, note.total)


# --------------------------------------------------------------------------- storing


def _stored(object_id: str, kind: str, locale: str) -> Document | None:
    return Document.objects.filter(object_id=object_id, kind=kind, locale=locale).first()


def _document(
    rendered: Rendered,
    *,
    object_id: str,
    kind: str,
    locale: str,
    livemode: bool,
    customer_id: str,
    number: str,
    currency: str,
) -> Document:
    return Document(
        id=new_id("doc"),
        livemode=livemode,
        created=real_now(),
        object_id=object_id,
        kind=kind,
        locale=locale,
        customer_id=customer_id,
        number=number,
        issued_at=rendered.issued_at,
        amount=rendered.amount,
        currency=currency,
        sha256=rendered.sha256,
        size=len(rendered.pdf),
        pdf=rendered.pdf,
    )


def _invoice_document(invoice: Invoice, kind: str, locale: str, rendered: Rendered) -> Document:
    assert invoice.number is not None
    return _document(
        rendered,
        object_id=invoice.id,
        kind=kind,
        locale=locale,
        livemode=invoice.livemode,
        customer_id=invoice.customer_id,
        number=invoice.number,
        currency=invoice.currency,
    )


def _keep(document: Document) -> Document:
    """Store a new document, or return the one someone stored while this one was rendering."""
    try:
        if connection.in_atomic_block:
            with transaction.atomic():  # a savepoint, so a lost race leaves the caller's transaction usable
                document.save()
        else:
            document.save()
    except IntegrityError:
        winner = _stored(document.object_id, document.kind, document.locale)
        if winner is None:
            raise
        return winner
    return document


def document_locale(preferred_locales: list[str] | None, locale: str | None = None) -> str:
    return locale if locale in labels.LOCALES else labels.locale_for(preferred_locales)


def document_for(invoice: Invoice, kind: str = Kind.INVOICE, locale: str | None = None) -> Document:
    """The invoice's issued ``kind`` document (invoice | receipt) in ``locale`` (default: the
    customer's language), rendered and stored on first use."""
    _check_kind(kind)
    if invoice.status == Invoice.Status.DRAFT or not invoice.number:
        raise InvalidRequest(f"Invoice {invoice.id} is a draft: it has a document once it is finalized.")
    locale = document_locale(invoice.customer.preferred_locales, locale)
    found = _stored(invoice.id, kind, locale)
    if found is not None:
        return found
    [rendered] = render_invoice_documents([invoice], kind, [locale])
    return _keep(_invoice_document(invoice, kind, locale, rendered))


def _credit_note_document(note: CreditNoteData, locale: str) -> Document:
    """The credit note's document, rendered now (not stored yet)."""
    return _document(
        render_credit_note_document(note, locale),
        object_id=note.id,
        kind=Kind.CREDIT_NOTE,
        locale=locale,
        livemode=note.livemode,
        customer_id=note.customer_id,
        number=note.number,
        currency=note.currency,
    )


def credit_note_document(
    note: CreditNoteData, locale: str | None = None, *, preferred_locales: list[str] | None = None
) -> Document:
    """A credit note's document (適格返還請求書) from its plain data, rendered and stored on first use."""
    locale = document_locale(preferred_locales, locale)
    found = _stored(note.id, Kind.CREDIT_NOTE, locale)
    if found is not None:
        return found
    return _keep(_credit_note_document(note, locale))


def credit_note_document_for(note: CreditNote, locale: str | None = None) -> Document:
    """The issued credit note's document in ``locale`` (default, or when not one Seikyu writes in:
    the customer's language), rendered and stored on first use. A voided note keeps its document."""
    locale = document_locale(note.customer.preferred_locales, locale)
    found = _stored(note.id, Kind.CREDIT_NOTE, locale)
    if found is not None:
        return found
    return _keep(_credit_note_document(CreditNoteData.from_data(credit_note_document_data(note)), locale))


# --------------------------------------------------------------------------- worker


def _missing(kind: str) -> Exists:
    return Exists(Document.objects.filter(object_id=OuterRef("id"), kind=kind))


def render_pending_documents(limit: int = 20) -> int:
    """Render the invoice PDFs of recently finalized invoices, the receipts of recently paid ones
    and the documents of recently issued credit notes that nobody has asked for yet, so they are
    ready when someone does: one batch per kind, stored with one INSERT (a document someone stored
    meanwhile is kept). Returns how many were rendered (0: nothing to do). One that fails to
    render is logged and left for the next pass."""
    since = real_now() - PENDING_WINDOW
    recent = Invoice.objects.filter(created__gte=since).select_related("customer").order_by("created", "id")
    Status = Invoice.Status
    invoices = list(
        recent.filter(status__in=[Status.OPEN, Status.PAID, Status.UNCOLLECTIBLE])
        .exclude(number=None)
        .exclude(_missing(Kind.INVOICE))[:limit]
    )
    receipts = []
    if len(invoices) < limit:
        paid = recent.filter(status=Status.PAID, amount_paid__gt=0).exclude(_missing(Kind.RECEIPT))
        receipts = list(paid[: limit - len(invoices)])
    made: list[Document] = []
    for kind, batch in ((Kind.INVOICE, invoices), (Kind.RECEIPT, receipts)):
        data = InvoiceData.load(batch, payments=kind == Kind.RECEIPT)
        for invoice in batch:
            locale = document_locale(invoice.customer.preferred_locales)
            try:
                rendered = _rendered(*invoice_document_content(invoice, kind, locale, data))
            except Exception:
                logger.exception("could not render the %s of %s", kind, invoice.id)
                continue
            made.append(_invoice_document(invoice, kind, locale, rendered))
    if len(invoices) + len(receipts) < limit:
        made += _pending_credit_notes(since, limit - len(invoices) - len(receipts))
    Document.objects.bulk_create(made, ignore_conflicts=True)
    return len(made)


def _pending_credit_notes(since: dt.datetime, limit: int) -> list[Document]:
    """Documents of credit notes issued since ``since`` that have none yet (constant queries)."""
    notes = list(
        CreditNote.objects.filter(created__gte=since)
        .select_related("customer")
        .exclude(_missing(Kind.CREDIT_NOTE))
        .order_by("created", "id")[:limit]
    )
    made = []
    for note, data in zip(notes, credit_note_documents_data(notes), strict=True):
        try:
            made.append(
                _credit_note_document(CreditNoteData.from_data(data), document_locale(note.customer.preferred_locales))
            )
        except Exception:
            logger.exception("could not render the credit note %s", note.id)
    return made


# --------------------------------------------------------------------------- search


def search_documents(
    *,
    livemode: bool,
    issued_from: dt.datetime | None = None,
    issued_until: dt.datetime | None = None,
    amount_min: int | None = None,
    amount_max: int | None = None,
    customer_id: str | None = None,
    kind: str | None = None,
    number: str | None = None,
) -> QuerySet[Document]:
    """Issued documents by issue date range, amount range and customer, combinable (the search
    電子帳簿保存法 requires); bounds are inclusive."""
    q = Q(livemode=livemode)
    if issued_from is not None:
        q &= Q(issued_at__gte=issued_from)
    if issued_until is not None:
        q &= Q(issued_at__lte=issued_until)
    if amount_min is not None:
        q &= Q(amount__gte=amount_min)
    if amount_max is not None:
        q &= Q(amount__lte=amount_max)
    if customer_id:
        q &= Q(customer_id=customer_id)
    if kind:
        q &= Q(kind=kind)
    if number:
        q &= Q(number=number)
    return Document.objects.filter(q)
