"""Django settings. Everything an operator sets comes from the environment:

- ``SEIKYU_DATA_DIR``: where the embedded SQLite database and files live (default ``./var``).
- ``DATABASE_URL``: use this database instead (``postgres://…`` in production).
- ``SEIKYU_SECRET_KEY``: Django's signing key; generated and kept in the data dir when unset.
- ``SEIKYU_DEBUG``: ``1`` for Django's debug pages.
- ``SEIKYU_ALLOWED_HOSTS``: comma-separated host names (default: any).
- ``SEIKYU_PUBLIC_URL``: the address customers reach (links in emails, hosted invoice pages, PDFs).
- ``SEIKYU_EMAIL_URL`` (``smtp://user:pass@host:587?tls=1``, ``smtps://…``, ``console://``,
  ``file:///dir``) or ``SEIKYU_EMAIL_BACKEND`` (e.g. a django-anymail backend) with
  ``SEIKYU_EMAIL_OPTIONS`` (JSON); ``SEIKYU_EMAIL_FROM`` when the account sets no sender.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

from seikyu.notifications.config import mailers_from_env

DATA_DIR = Path(os.environ.get("SEIKYU_DATA_DIR", "var")).resolve()


def _secret_key() -> str:
    if key := os.environ.get("SEIKYU_SECRET_KEY"):
        return key
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("SEIKYU_DEBUG") == "1"
ALLOWED_HOSTS = os.environ.get("SEIKYU_ALLOWED_HOSTS", "*").split(",")
PUBLIC_URL = os.environ.get("SEIKYU_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks_db",
    "seikyu.db",
    "seikyu.events",
    "seikyu.account",
    "seikyu.billing",
    "seikyu.documents",
    "seikyu.notifications",
    "seikyu.webhooks",
    "seikyu.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "seikyu.urls"
WSGI_APPLICATION = "seikyu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

if database_url := os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(database_url, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "seikyu.db.postgresql"  # Django's, minus the LIKE indexes
        # Parameters travel apart from the statement (server-side binding): psycopg's client-side
        # binding quotes every value into the SQL text in Python, which for the bill run's event
        # payloads (kilobytes of JSON each) costs more than the statements themselves.
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("server_side_binding", True)
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "seikyu.sqlite3"),
            # WAL and a busy timeout let the web and worker processes share the file.
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DATABASES["default"].setdefault("TEST", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

MAILERS = mailers_from_env(os.environ)
DEFAULT_FROM_EMAIL = os.environ.get("SEIKYU_EMAIL_FROM", "seikyu@localhost")

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # The level sits on the handler too: Django's own loggers log at INFO and propagate to it.
    "handlers": {"console": {"class": "logging.StreamHandler", "level": os.environ.get("SEIKYU_LOG_LEVEL", "WARNING")}},
    "root": {"handlers": ["console"], "level": os.environ.get("SEIKYU_LOG_LEVEL", "WARNING")},
}
