"""The hosted invoice page (``/i/<token>``): what a customer opens from an email or the
``hosted_invoice_url``. No login — the signed token is the key — and the page shows only this
invoice: its summary, its PDF and receipt, its credit notes, card payment while it is open,
bank-transfer details for send_invoice invoices. Everything printed comes from the same content as
the PDF. A credit note's PDF has a link of its own (``/cn/<token>/pdf``, the note's ``pdf``)."""

from __future__ import annotations

import base64
import re
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from seikyu.billing.links import credit_note_id_from_token, credit_note_token, invoice_id_from_token
from seikyu.billing.models import CreditNote, Invoice
from seikyu.core.errors import SeikyuError
from seikyu.core.money import format_amount

from . import labels
from .models import Document
from .payments import message_for, pay_with_card
from .services import credit_note_document_for, document_for, document_locale, invoice_document_content

Status = Invoice.Status
_EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*$")


def _invoice(token: str) -> Invoice:
    invoice_id = invoice_id_from_token(token)
    invoice = Invoice.objects.select_related("customer").filter(id=invoice_id).first() if invoice_id else None
    if invoice is None or invoice.status == Status.DRAFT:
        raise Http404("No such invoice")
    return invoice


def _locale(request: HttpRequest, invoice: Invoice) -> str:
    return document_locale(invoice.customer.preferred_locales, request.GET.get("lang") or request.POST.get("lang"))


def _credit_notes(invoice: Invoice, locale: str) -> list[dict[str, Any]]:
    """The invoice's credit notes (voided ones marked), oldest first, with links to their PDFs."""
    notes = CreditNote.objects.filter(invoice_id=invoice.id).order_by("created", "id")
    return [
        {
            "number": note.number,
            "date": labels.date(note.effective_at, locale),
            "amount": format_amount(note.total, note.currency, locale),
            "void": note.status == CreditNote.Status.VOID,
            "pdf": f"{reverse('credit_notes:pdf', args=[credit_note_token(note.id)])}?lang={locale}",
        }
        for note in notes
    ]


def _payable(invoice: Invoice) -> bool:
    return invoice.status == Status.OPEN and invoice.amount_remaining > 0


def _page(
    request: HttpRequest, invoice: Invoice, locale: str, *, error: str | None = None, status: int = 200
) -> HttpResponse:
    page = labels.PAGE[locale]
    content, _, _ = invoice_document_content(invoice, Document.Kind.INVOICE, locale)
    logo = content["issuer"]["logo_svg"]
    if invoice.status == Status.PAID:
        amount_label, amount = page["amount_paid"], invoice.amount_paid
    elif invoice.status == Status.VOID:
        amount_label, amount = page["amount_total"], invoice.total
    else:
        amount_label, amount = page["amount_to_pay"], invoice.amount_remaining
    money = format_amount(amount, invoice.currency, locale)
    context: dict[str, Any] = {
        "lang": locale,
        "other_lang": "en" if locale == "ja" else "ja",
        "page": page,
        "doc": content,
        "invoice": invoice,
        "status_label": page[f"status_{invoice.status}"],
        "amount_label": amount_label,
        "amount": money,
        "logo": f"data:image/svg+xml;base64,{base64.b64encode(logo.encode()).decode()}" if logo else None,
        "can_pay": _payable(invoice) and not invoice.livemode,
        "card_unavailable": _payable(invoice) and invoice.livemode,
        "pay_label": page["pay_button"].format(amount=money),
        "bank": [s for s in content["sections"] if s["key"] == "bank_transfer" and _payable(invoice)],
        "notes": [s for s in content["sections"] if s["key"] != "bank_transfer"],
        "has_receipt": invoice.status == Status.PAID and invoice.amount_paid > 0,
        "credit_notes": _credit_notes(invoice, locale),
        "paid_now": request.GET.get("paid") == "1" and invoice.status == Status.PAID,
        "error": error,
    }
    response = render(request, "documents/hosted_invoice.html", context, status=status)
    # The token in the address is the key: keep it out of caches and out of other sites' referrer
    # logs ("same-origin", not "no-referrer": browsers then send "Origin: null" and CSRF refuses it).
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def hosted_invoice(request: HttpRequest, token: str) -> HttpResponse:
    invoice = _invoice(token)
    return _page(request, invoice, _locale(request, invoice))


@require_POST
def pay(request: HttpRequest, token: str) -> HttpResponse:
    invoice = _invoice(token)
    locale = _locale(request, invoice)
    if not _payable(invoice) or invoice.livemode:
        return _page(request, invoice, locale, error=message_for(None, locale, code="not_payable"), status=409)
    number = "".join(request.POST.get("number", "").split())
    expiry = _EXPIRY.match(request.POST.get("expiry", ""))
    cvc = request.POST.get("cvc", "").strip()
    if not number or expiry is None or not cvc:
        code = "invalid_expiry_month" if number and cvc else "invalid"
        return _page(request, invoice, locale, error=message_for(None, locale, code=code), status=400)
    try:
        pay_with_card(invoice, number=number, exp_month=int(expiry.group(1)), exp_year=int(expiry.group(2)), cvc=cvc)
    except SeikyuError as exc:
        invoice.refresh_from_db()
        return _page(
            request, invoice, locale, error=message_for(exc, locale), status=402 if exc.http_status == 402 else 400
        )
    return redirect(f"{request.path.removesuffix('/pay')}?lang={locale}&paid=1")


def _pdf(document: Document) -> HttpResponse:
    response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
    name = f"{document.kind}-{document.number}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "private, max-age=3600"
    response["ETag"] = f'"{document.sha256}"'
    return response


@require_GET
def invoice_pdf(request: HttpRequest, token: str) -> HttpResponse:
    invoice = _invoice(token)
    return _pdf(document_for(invoice, Document.Kind.INVOICE, _locale(request, invoice)))


@require_GET
def receipt_pdf(request: HttpRequest, token: str) -> HttpResponse:
    invoice = _invoice(token)
    if invoice.status != Status.PAID or invoice.amount_paid <= 0:
        raise Http404("This invoice has no receipt yet")
    return _pdf(document_for(invoice, Document.Kind.RECEIPT, _locale(request, invoice)))


@require_GET
def credit_note_pdf(request: HttpRequest, token: str) -> HttpResponse:
    """``/cn/<token>/pdf``: a credit note's document (also once the note is voided)."""
    note_id = credit_note_id_from_token(token)
    note = CreditNote.objects.select_related("customer").filter(id=note_id).first() if note_id else None
    if note is None:
        raise Http404("No such credit note")
    return _pdf(credit_note_document_for(note, request.GET.get("lang")))
