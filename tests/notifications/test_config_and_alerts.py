"""Email backends from the environment (SMTP by URL, any django-anymail backend), and team alerts."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from seikyu.account.services import update_account_settings
from seikyu.notifications.alerts import alert_team
from seikyu.notifications.config import mailers_from_env
from seikyu.notifications.models import OutboundEmail
from seikyu.notifications.services import send_due_emails

SMTP = "django.core.mail.backends.smtp.EmailBackend"


def test_email_settings_from_the_environment():
    assert mailers_from_env({}) == {
        "default": {
            "BACKEND": SMTP,
            "OPTIONS": {"host": "localhost", "port": 25, "use_tls": False, "use_ssl": False, "timeout": 30.0},
        }
    }
    starttls = mailers_from_env({"SEIKYU_EMAIL_URL": "smtp://apikey:p%40ss%2Fword@smtp.example.com:587?tls=1"})
    assert starttls["default"]["OPTIONS"] == {
        "host": "smtp.example.com",
        "port": 587,
        "use_tls": True,
        "use_ssl": False,
        "timeout": 30.0,
        "username": "apikey",
        "password": "p@ss/word",
    }
    ssl = mailers_from_env({"SEIKYU_EMAIL_URL": "smtps://u:p@mail.example.com?timeout=10"})["default"]["OPTIONS"]
    assert (ssl["port"], ssl["use_ssl"], ssl["use_tls"], ssl["timeout"]) == (465, True, False, 10.0)
    assert mailers_from_env({"SEIKYU_EMAIL_URL": "console://"})["default"]["BACKEND"].endswith("console.EmailBackend")
    ses = mailers_from_env(
        {
            "SEIKYU_EMAIL_BACKEND": "anymail.backends.amazon_ses.EmailBackend",
            "SEIKYU_EMAIL_OPTIONS": '{"region": "ap-northeast-1"}',
        }
    )
    assert ses == {
        "default": {"BACKEND": "anymail.backends.amazon_ses.EmailBackend", "OPTIONS": {"region": "ap-northeast-1"}}
    }
    with pytest.raises(ValueError, match="unsupported scheme"):
        mailers_from_env({"SEIKYU_EMAIL_URL": "http://example.com"})


def test_an_anymail_backend_sends_the_same_email_with_its_attachments_and_headers(settings: Any, db: None):
    settings.MAILERS = {"default": {"BACKEND": "anymail.backends.test.EmailBackend"}}
    update_account_settings({"alert_recipients": ["ops@example.jp"], "email_sender": {"address": "billing@example.jp"}})
    mail.outbox = []
    alert_team("Through an email service", "Sent by django-anymail.", livemode=True)
    assert send_due_emails() == 1
    [sent] = mail.outbox
    assert (sent.subject, sent.to, sent.from_email) == (
        "[Seikyu] Through an email service",
        ["ops@example.jp"],
        "billing@example.jp",
    )
    assert sent.alternatives[0].mimetype == "text/html"
    assert sent.extra_headers["X-Seikyu-Email"] == OutboundEmail.objects.get().id
    assert OutboundEmail.objects.get().status == "sent"


def test_alerts_go_to_every_recipient_and_nowhere_without_any(smtp, db: None):
    alert_team("No one to tell", "body")
    assert not OutboundEmail.objects.exists()
    update_account_settings({"alert_recipients": ["a@example.jp", "b@example.jp"]})
    alert_team("Webhook endpoint disabled: https://example.com/hook", "First line.\nSecond line.\n\nNext paragraph.")
    assert send_due_emails() == 1
    [received] = smtp.received
    assert received.rcpt_tos == ["a@example.jp", "b@example.jp"]
    assert received.subject == "[Seikyu] Webhook endpoint disabled: https://example.com/hook"
    assert "First line.<br>Second line." in received.html()
    assert received.message["Auto-Submitted"] == "auto-generated"


def test_what_an_alert_says_cannot_add_headers_or_markup(smtp, db: None):
    update_account_settings({"alert_recipients": ["ops@example.jp"]})
    alert_team("Line one\r\nBcc: someone@example.com", "<script>alert(1)</script>")
    assert send_due_emails() == 1
    [received] = smtp.received
    assert received.rcpt_tos == ["ops@example.jp"]
    assert received.subject == "[Seikyu] Line one Bcc: someone@example.com"
    assert "<script>" not in received.html() and "&lt;script&gt;alert(1)&lt;/script&gt;" in received.html()
    assert "<script>alert(1)</script>" in received.text()
