"""What an uploaded image really is, read from its bytes (never from its name): PNG, JPEG or SVG,
with its pixel size. Only the headers are read; nothing is decoded or executed."""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) share the range.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(px)?\s*$")


@dataclass(frozen=True)
class ImageInfo:
    type: str  # png | jpg | svg
    width: float
    height: float

    @property
    def mime(self) -> str:
        return {"png": "image/png", "jpg": "image/jpeg", "svg": "image/svg+xml"}[self.type]


def image_info(content: bytes) -> ImageInfo:
    """The image's type and size, or ``ValueError`` saying why it is not a usable image."""
    if content.startswith(_PNG_SIGNATURE):
        return _png(content)
    if content.startswith(b"\xff\xd8"):
        return _jpeg(content)
    head = content[:1024].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--")):
        return _svg(content)
    raise ValueError("not a PNG, JPEG or SVG image")


def _png(content: bytes) -> ImageInfo:
    if len(content) < 24 or content[12:16] != b"IHDR":
        raise ValueError("a damaged PNG file")
    width, height = struct.unpack(">II", content[16:24])
    if not width or not height:
        raise ValueError("a PNG image without pixels")
    return ImageInfo("png", width, height)


def _jpeg(content: bytes) -> ImageInfo:
    at = 2
    while at + 4 <= len(content):
        if content[at] != 0xFF:
            break
        marker = content[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        (length,) = struct.unpack(">H", content[at + 2 : at + 4])
        if marker in _SOF and at + 9 <= len(content):
            height, width = struct.unpack(">HH", content[at + 5 : at + 9])
            if width and height:
                return ImageInfo("jpg", width, height)
            break
        at += 2 + length
    raise ValueError("a damaged JPEG file (no image size found)")


def _svg(content: bytes) -> ImageInfo:
    if b"<!DOCTYPE" in content.upper() or b"<!ENTITY" in content.upper():
        raise ValueError("SVG files with a DOCTYPE or entities are not accepted")
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        raise ValueError(f"not a well-formed SVG file ({exc})") from None
    if root.tag.rsplit("}", 1)[-1] != "svg":
        raise ValueError("an XML file whose root is not <svg>")
    box = [float(part) for part in re.split(r"[\s,]+", root.get("viewBox", "").strip()) if part][2:4]
    width, height = _length(root.get("width")), _length(root.get("height"))
    if width is None or height is None:
        if len(box) != 2:
            raise ValueError("an SVG image needs width and height or a viewBox")
        width, height = box
    if width <= 0 or height <= 0:
        raise ValueError("an SVG image of no size")
    return ImageInfo("svg", width, height)


def _length(value: str | None) -> float | None:
    match = _LENGTH.match(value or "")
    return float(match.group(1)) if match else None
