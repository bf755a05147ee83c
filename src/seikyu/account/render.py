"""``account_settings`` and ``file`` in their wire shape."""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings

from seikyu.core.clock import to_unix

from .fields import LEAVES, render_leaves
from .models import AccountSettings, File


def render_account_settings(settings: AccountSettings) -> dict[str, Any]:
    return {"object": "account_settings", **render_leaves(settings, LEAVES), "updated": to_unix(settings.updated)}


def file_contents_url(file_id: str) -> str:
    return f"{django_settings.PUBLIC_URL}/v1/files/{file_id}/contents"


def render_file(file: File) -> dict[str, Any]:
    return {
        "id": file.id,
        "object": "file",
        "created": to_unix(file.created),
        "expires_at": None,
        "filename": file.filename,
        "links": {"object": "list", "data": [], "has_more": False, "url": f"/v1/file_links?file={file.id}"},
        "purpose": file.purpose,
        "size": file.size,
        "title": file.title,
        "type": file.type,
        "url": file_contents_url(file.id),
    }
