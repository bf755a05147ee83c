"""Django's ``MAILERS`` setting from the environment (read by ``seikyu.settings``; no Django here).

- ``SEIKYU_EMAIL_URL``: an SMTP server, ``smtp://user:password@host:587?tls=1`` (STARTTLS) or
  ``smtps://user:password@host:465`` (TLS from the start); ``?timeout=`` in seconds (default 30).
  Also ``console://`` (print to the terminal) and ``file:///path/to/dir`` (one file per email).
  Default: ``smtp://localhost:25``.
- ``SEIKYU_EMAIL_BACKEND``: any email backend by dotted path instead, e.g. a django-anymail one
  (``anymail.backends.amazon_ses.EmailBackend``), with its options as a JSON object in
  ``SEIKYU_EMAIL_OPTIONS`` (``{"api_key": "…"}``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_URL = "smtp://localhost:25"
_TRUE = ("1", "true", "yes", "on")


def _flag(query: Mapping[str, list[str]], name: str) -> bool:
    return query.get(name, ["0"])[-1].lower() in _TRUE


def mailer_from_url(url: str) -> dict[str, Any]:
    """One ``MAILERS`` entry from an email URL."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    if parts.scheme == "console":
        return {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme == "file":
        return {"BACKEND": "django.core.mail.backends.filebased.EmailBackend", "OPTIONS": {"file_path": parts.path}}
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"SEIKYU_EMAIL_URL: unsupported scheme {parts.scheme!r} (smtp, smtps, console or file)")
    ssl = parts.scheme == "smtps" or _flag(query, "ssl")
    options: dict[str, Any] = {
        "host": parts.hostname or "localhost",
        "port": parts.port or (465 if ssl else 25),
        "use_tls": _flag(query, "tls") and not ssl,
        "use_ssl": ssl,
        "timeout": float(query.get("timeout", ["30"])[-1]),
    }
    if parts.username:
        options["username"] = unquote(parts.username)
        options["password"] = unquote(parts.password or "")
    return {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}


def mailers_from_env(environ: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """The ``MAILERS`` setting: ``SEIKYU_EMAIL_BACKEND`` (+ ``SEIKYU_EMAIL_OPTIONS``) if set,
    else ``SEIKYU_EMAIL_URL``, else SMTP on localhost:25."""
    backend = environ.get("SEIKYU_EMAIL_BACKEND")
    if backend:
        options = json.loads(environ.get("SEIKYU_EMAIL_OPTIONS") or "{}")
        if not isinstance(options, dict):
            raise ValueError("SEIKYU_EMAIL_OPTIONS must be a JSON object")
        return {"default": {"BACKEND": backend, "OPTIONS": options}}
    return {"default": mailer_from_url(environ.get("SEIKYU_EMAIL_URL") or DEFAULT_URL)}
