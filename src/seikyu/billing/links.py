"""Customer-facing links to an invoice: unguessable, stateless, stable.

The token is the invoice id signed with the server's secret, so a link can be made wherever an
invoice is rendered (API, events, emails) without storing anything, and a forged or altered token
is refused. Links never expire: a customer may open an old invoice years later.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing

_SALT = "seikyu.hosted-invoice"


def invoice_token(invoice_id: str) -> str:
    # A plain signature (no timestamp), so the same invoice always gets the same link.
    return signing.Signer(salt=_SALT).sign(invoice_id)


def invoice_id_from_token(token: str) -> str | None:
    try:
        return signing.Signer(salt=_SALT).unsign(token)
    except signing.BadSignature:
        return None


def hosted_invoice_url(invoice_id: str) -> str:
    return f"{settings.PUBLIC_URL}/i/{invoice_token(invoice_id)}"


def invoice_pdf_url(invoice_id: str) -> str:
    return f"{hosted_invoice_url(invoice_id)}/pdf"
