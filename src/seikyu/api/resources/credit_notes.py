"""``/v1/credit_notes``: issue, preview, read, annotate and void credit notes."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field as P

from seikyu.api.params import ListParams, Metadata, Nested, Params
from seikyu.api.query import fetch, list_object, paginate
from seikyu.api.routing import ApiRequest, Router
from seikyu.billing.models import CreditNote, CreditNoteLineItem
from seikyu.billing.render.credit_notes import render_credit_note, render_credit_note_lines, render_credit_notes
from seikyu.billing.services import credit_notes
from seikyu.core.errors import InvalidRequest, ResourceMissing

router = Router()


class CreditNoteLine(Nested):
    type: Literal["invoice_line_item", "custom_line_item"]
    amount: int | None = None
    description: str | None = None
    invoice_line_item: str | None = None
    metadata: Metadata | None = None
    quantity: int | None = None
    tax_rates: list[str] | None = None
    unit_amount: int | None = None
    unit_amount_decimal: Decimal | None = None


class RefundLink(Nested):
    refund: str | None = None
    amount_refunded: int | None = None
    type: Literal["refund"] | None = None


class CreditNoteParams(Params):
    """What a credit note is issued (or previewed) with."""

    invoice: str
    amount: int | None = None
    credit_amount: int | None = None
    effective_at: int | None = None
    # ``none``: the customer is not emailed about this note (``credit_note``, the default: it is).
    email_type: Literal["credit_note", "none"] | None = None
    lines: list[CreditNoteLine] | None = None
    memo: str | None = None
    metadata: Metadata | None = None
    out_of_band_amount: int | None = None
    reason: Literal["duplicate", "fraudulent", "order_change", "product_unsatisfactory"] | None = None
    refund_amount: int | None = None
    refunds: list[RefundLink] | None = None

    def issue_data(self) -> dict[str, Any]:
        return self.given()


class LinePage(Params):
    limit: Annotated[int, P(ge=1, le=100)] = 10
    starting_after: str | None = None
    ending_before: str | None = None


class PreviewLines(CreditNoteParams):
    limit: Annotated[int, P(ge=1, le=100)] = 10
    starting_after: str | None = None
    ending_before: str | None = None

    def issue_data(self) -> dict[str, Any]:
        data = super().issue_data()
        for name in ("limit", "starting_after", "ending_before"):
            data.pop(name, None)
        return data


class CreditNoteUpdate(Params):
    memo: str | None = None
    metadata: Metadata | None = None


class CreditNoteList(ListParams):
    customer: str | None = None
    invoice: str | None = None


def _note(req: ApiRequest, note_id: str) -> CreditNote:
    return fetch(req, CreditNote, note_id, kind="credit_note")


def _page(lines: list[dict[str, Any]], params: LinePage | PreviewLines, url: str) -> dict[str, Any]:
    """A page of lines in the note's order (a note's lines are few: they are paged in memory)."""
    if params.starting_after and params.ending_before:
        raise InvalidRequest(
            "You may only specify one of these parameters: ending_before, starting_after.", param="ending_before"
        )
    ids = [line["id"] for line in lines]
    cursor = params.starting_after or params.ending_before
    if cursor is not None and cursor not in ids:
        param = "starting_after" if params.starting_after else "ending_before"
        raise ResourceMissing("credit_note_line_item", cursor, param=param)
    if params.ending_before:
        end = ids.index(params.ending_before)
        start = max(end - params.limit, 0)
        return list_object(lines[start:end], url, has_more=start > 0)
    start = ids.index(params.starting_after) + 1 if params.starting_after else 0
    return list_object(lines[start : start + params.limit], url, has_more=start + params.limit < len(lines))


@router.post("/v1/credit_notes", returns="credit_note")
def create_credit_note(req: ApiRequest, params: CreditNoteParams) -> dict[str, Any]:
    """Issue a credit note for a finalized invoice."""
    return render_credit_note(credit_notes.create_credit_note(params.issue_data(), livemode=req.livemode))


@router.get("/v1/credit_notes/preview", returns="credit_note")
def preview_credit_note(req: ApiRequest, params: CreditNoteParams) -> dict[str, Any]:
    """The credit note these parameters would issue, without issuing it."""
    rendered, _ = credit_notes.preview_credit_note(params.issue_data(), livemode=req.livemode)
    return rendered


@router.get("/v1/credit_notes/preview/lines", returns="list")
def preview_credit_note_lines(req: ApiRequest, params: PreviewLines) -> dict[str, Any]:
    """The lines of the credit note these parameters would issue."""
    _, lines = credit_notes.preview_credit_note(params.issue_data(), livemode=req.livemode)
    return _page(lines, params, req.path)


@router.get("/v1/credit_notes/{id}", returns="credit_note")
def retrieve_credit_note(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Retrieve a credit note."""
    return render_credit_note(_note(req, id))


@router.post("/v1/credit_notes/{id}", returns="credit_note")
def update_credit_note(req: ApiRequest, params: CreditNoteUpdate, id: str) -> dict[str, Any]:
    """Change a credit note's memo or metadata."""
    return render_credit_note(credit_notes.update_credit_note(_note(req, id), params.given()))


@router.post("/v1/credit_notes/{id}/void", returns="credit_note")
def void_credit_note(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Void a credit note: what it changed on the invoice and the customer's balance is undone."""
    return render_credit_note(credit_notes.void_credit_note(_note(req, id)))


@router.get("/v1/credit_notes/{id}/lines", returns="list")
def list_credit_note_lines(req: ApiRequest, params: LinePage, id: str) -> dict[str, Any]:
    """A credit note's lines, in order."""
    note = _note(req, id)
    lines = render_credit_note_lines(list(CreditNoteLineItem.objects.filter(credit_note=note).order_by("position")))
    return _page(lines, params, req.path)


@router.get("/v1/credit_notes", returns="list")
def list_credit_notes(req: ApiRequest, params: CreditNoteList) -> dict[str, Any]:
    """List credit notes, newest first (of one invoice or customer with ``invoice`` / ``customer``)."""
    qs = CreditNote.objects.all()
    if params.invoice is not None:
        qs = qs.filter(invoice_id=params.invoice)
    if params.customer is not None:
        qs = qs.filter(customer_id=params.customer)
    return paginate(req, qs, params, render_many=render_credit_notes)
