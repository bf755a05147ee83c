"""Seikyu extensions: the email outbox — ``GET /v1/emails``, ``GET /v1/emails/{id}`` (with every
attempt) and ``POST /v1/emails/{id}/resend``."""

from __future__ import annotations

from typing import Any, Literal

from seikyu.api.params import ListParams, Params
from seikyu.api.query import fetch, paginate
from seikyu.api.routing import ApiRequest, Router
from seikyu.notifications.models import OutboundEmail
from seikyu.notifications.render import render_email
from seikyu.notifications.services import resend_email

router = Router()

EmailKind = Literal[
    "trial_ending",
    "upcoming_renewal",
    "card_expiring",
    "payment_succeeded",
    "payment_failed",
    "invoice_finalized",
    "past_due_reminder",
    "credit_note_issued",
    "payment_failed_alert",
    "overdue_digest",
    "team_alert",
]


class EmailList(ListParams):
    kind: EmailKind | None = None
    status: Literal["queued", "sent", "failed"] | None = None
    customer: str | None = None
    invoice: str | None = None


def _with_attempts(email: OutboundEmail) -> dict[str, Any]:
    return render_email(email, email.attempts.order_by("attempted_at", "id"))


@router.get("/v1/emails", returns="list")
def list_emails(req: ApiRequest, params: EmailList) -> dict[str, Any]:
    """Seikyu extension: list the emails sent or to be sent, newest first (by kind, status, customer, invoice)."""
    emails = OutboundEmail.objects.all()
    if params.kind is not None:
        emails = emails.filter(kind=params.kind)
    if params.status is not None:
        emails = emails.filter(status=params.status)
    if params.customer is not None:
        emails = emails.filter(customer_id=params.customer)
    if params.invoice is not None:
        emails = emails.filter(invoice_id=params.invoice)
    return paginate(req, emails, params, render_email)


@router.get("/v1/emails/{id}", returns="email")
def retrieve_email(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Seikyu extension: retrieve an email with every attempt to send it (oldest first)."""
    return _with_attempts(fetch(req, OutboundEmail, id, kind="email"))


@router.post("/v1/emails/{id}/resend", returns="email")
def resend(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Seikyu extension: send an email again, as it was first rendered (a worker sends it shortly)."""
    return _with_attempts(resend_email(id, livemode=req.livemode))
