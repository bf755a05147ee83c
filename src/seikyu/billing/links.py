"""Customer-facing links to issued documents: unguessable, stateless, stable.

A token is the object's id signed with the server's secret and a salt of its kind (an invoice's
token never opens a credit note), so a link can be made wherever the object is rendered (API,
events, emails) without storing anything, and a forged or altered token is refused. Links never
expire: a customer may open an old invoice or credit note years later.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core import signing

_INVOICE_SALT = "seikyu.hosted-invoice"
_CREDIT_NOTE_SALT = "seikyu.credit-note"


def _sign(salt: str, object_id: str) -> str:
    return _signature(salt, object_id, settings.SECRET_KEY)


@lru_cache(maxsize=4096)
def _signature(salt: str, object_id: str, secret: str) -> str:
    # A plain signature (no timestamp), so the same object always gets the same link. Remembered:
    # an invoice is rendered several times in a row (each event, the API answer), each time with
    # two links, and signing costs more than the rest of its rendering.
    return _signer(salt, secret).sign(object_id)


@lru_cache(maxsize=8)
def _signer(salt: str, secret: str) -> signing.Signer:
    # Making a signer (it reads the settings) costs as much as signing: the bill run signs each
    # new invoice once, thousands a batch.
    return signing.Signer(key=secret, salt=salt)


def _unsign(salt: str, token: str) -> str | None:
    try:
        return signing.Signer(salt=salt).unsign(token)
    except signing.BadSignature:
        return None


def invoice_token(invoice_id: str) -> str:
    return _sign(_INVOICE_SALT, invoice_id)


def invoice_id_from_token(token: str) -> str | None:
    return _unsign(_INVOICE_SALT, token)


def hosted_invoice_url(invoice_id: str) -> str:
    return f"{settings.PUBLIC_URL}/i/{invoice_token(invoice_id)}"


def invoice_pdf_url(invoice_id: str) -> str:
    return f"{hosted_invoice_url(invoice_id)}/pdf"


def credit_note_token(credit_note_id: str) -> str:
    return _sign(_CREDIT_NOTE_SALT, credit_note_id)


def credit_note_id_from_token(token: str) -> str | None:
    return _unsign(_CREDIT_NOTE_SALT, token)


def credit_note_pdf_url(credit_note_id: str) -> str:
    return f"{settings.PUBLIC_URL}/cn/{credit_note_token(credit_note_id)}/pdf"
