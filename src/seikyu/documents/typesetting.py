"""Content → PDF/A-2b with Typst.

One compiler per process keeps the fonts loaded (loading Noto Sans CJK costs more than laying out
an invoice). Output is deterministic: only the content, the layout file, the fonts and the given
timestamp (the document's issue time) go in, so the same document gives the same bytes.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Final

import typst

from seikyu.account.images import image_info

from .fonts import font_dirs

LAYOUT_DIR = Path(__file__).resolve().parent / "typst"
LAYOUT = LAYOUT_DIR / "document.typ"
PDF_STANDARD: Final = "a-2b"

# A compiler is not safe to share between threads; documents are short, so they take turns.
_lock = threading.Lock()


@cache
def _compiler() -> typst.Compiler:
    return typst.Compiler(root=str(LAYOUT_DIR), font_paths=list(font_dirs()), ignore_system_fonts=True)


def typst_inputs(content: Mapping[str, Any]) -> dict[str, str]:
    """The layout's ``sys.inputs`` for ``content`` (keys sorted: equal content, equal input)."""
    return {"content": json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))}


def compile_pdf(inputs: Mapping[str, str], *, timestamp: dt.datetime) -> bytes:
    with _lock:
        pdf = _compiler().compile(
            input=str(LAYOUT),
            sys_inputs=dict(inputs),
            pdf_standards=PDF_STANDARD,
            timestamp=int(timestamp.timestamp()),
        )
    assert isinstance(pdf, bytes)
    return pdf


def typeset(content: Mapping[str, Any], *, timestamp: dt.datetime) -> bytes:
    """The PDF of a document's content, dated ``timestamp`` in its metadata."""
    return compile_pdf(typst_inputs(content), timestamp=timestamp)


def logo_svg(content: bytes) -> str:
    """A logo as SVG text for the layout: an SVG as it is, a PNG or JPEG wrapped in an SVG at its
    pixel size (Typst reads images only from files or bytes; the wrapper carries them in the
    content itself)."""
    info = image_info(content)
    if info.type == "svg":
        return content.decode("utf-8")
    data = base64.b64encode(content).decode("ascii")
    w, h = info.width, info.height
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">'
        f'<image width="{w}" height="{h}" href="data:{info.mime};base64,{data}"/></svg>'
    )
