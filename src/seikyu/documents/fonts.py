"""Where the Japanese font is. Documents embed Noto Sans CJK JP and nothing from the system, so
the same input gives the same PDF on every machine that has the same font files."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

FONT_FAMILY = "Noto Sans CJK JP"
FONT_DIR_ENV = "SEIKYU_FONT_DIR"

# Where distributions install Noto Sans CJK: Debian/Ubuntu (fonts-noto-cjk), Fedora, Arch,
# Alpine, Homebrew on macOS.
_KNOWN_DIRS = (
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/google-noto-cjk",
    "/usr/share/fonts/noto-cjk",
    "/usr/share/fonts/noto",
    "/opt/homebrew/share/fonts",
    "/usr/local/share/fonts",
)
_PATTERNS = ("NotoSansCJK*.tt[co]", "NotoSansCJKjp*.otf", "NotoSansJP*.[ot]tf")


class FontMissing(RuntimeError):
    pass


def _has_font(directory: Path) -> bool:
    return directory.is_dir() and any(next(directory.glob(pattern), None) for pattern in _PATTERNS)


@cache
def font_dirs() -> tuple[str, ...]:
    """The directory holding Noto Sans CJK JP: ``$SEIKYU_FONT_DIR`` if set, else the first known
    system location that has it."""
    configured = os.environ.get(FONT_DIR_ENV)
    candidates = [Path(configured)] if configured else [Path(p) for p in _KNOWN_DIRS]
    for directory in candidates:
        if _has_font(directory):
            return (str(directory),)
    where = f"${FONT_DIR_ENV}={configured}" if configured else "looked in " + ", ".join(_KNOWN_DIRS)
    raise FontMissing(
        f"{FONT_FAMILY} was not found ({where}). Install it (Debian/Ubuntu: apt install fonts-noto-cjk) "
        f"or point {FONT_DIR_ENV} at the directory holding NotoSansCJK-Regular.ttc."
    )
