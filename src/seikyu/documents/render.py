"""``document`` (Seikyu extension) in its wire shape."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from seikyu.core.clock import to_unix

from .models import Document


def document_contents_url(document_id: str) -> str:
    return f"{settings.PUBLIC_URL}/v1/documents/{document_id}/contents"


def render_document(document: Document) -> dict[str, Any]:
    return {
        "id": document.id,
        "object": "document",
        "amount": document.amount,
        "created": to_unix(document.created),
        "currency": document.currency,
        "customer": document.customer_id,
        "issued_at": to_unix(document.issued_at),
        "kind": document.kind,
        "livemode": document.livemode,
        "locale": document.locale,
        "number": document.number,
        "object_id": document.object_id,
        "sha256": document.sha256,
        "size": document.size,
        "url": document_contents_url(document.id),
    }
