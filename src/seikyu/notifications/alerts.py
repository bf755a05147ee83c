"""Emails to the team (the account's ``alert_recipients``): any part of Seikyu may raise an alert,
every failed payment raises one, and bank-transfer invoices past due are summed up each morning."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings

from seikyu.account.services import get_account_settings
from seikyu.billing.models import Invoice
from seikyu.core.clock import real_now, to_unix
from seikyu.core.ids import new_id
from seikyu.documents import labels

from .models import Kind, OutboundEmail
from .schedule import local_zone
from .services import new_email, queue

logger = logging.getLogger("seikyu.notifications")

# The digest lists this many invoices and counts the rest.
DIGEST_ROWS = 100


def team_locale() -> str:
    language = settings.LANGUAGE_CODE.split("-")[0]
    return language if language in labels.LOCALES else "en"


def recipients() -> list[str]:
    return list(get_account_settings().alert_recipients or [])


def alert_team(subject: str, body: str, *, livemode: bool = True, dedupe_key: str | None = None) -> None:
    """Queue an email to the team's alert recipients (nothing when there are none). ``body`` is
    plain text; blank lines separate paragraphs. With a ``dedupe_key``, raising the same alert
    again sends nothing more."""
    to = recipients()
    if not to:
        logger.warning("no alert recipients are set; alert not sent: %s", subject)
        return
    queue(
        [
            new_email(
                Kind.TEAM_ALERT,
                livemode=livemode,
                created=real_now(),
                to=to,
                locale=team_locale(),
                dedupe_key=f"alert:{dedupe_key}" if dedupe_key else f"alert:{new_id('alert')}",
                context={"subject": subject, "body": body},
            )
        ]
    )


def payment_failed_alert(
    invoice: dict[str, Any],
    customer: dict[str, Any] | None,
    codes: Sequence[str | None],
    *,
    created: dt.datetime,
    to: list[str],
) -> OutboundEmail:
    """The team's email about one failed attempt (``invoice``: its wire object at the failure)."""
    return new_email(
        Kind.PAYMENT_FAILED_ALERT,
        livemode=bool(invoice["livemode"]),
        created=created,
        to=to,
        locale=team_locale(),
        dedupe_key=f"payment_failed_alert:{invoice['id']}:{invoice['attempt_count']}",
        context={
            "customer_name": (customer or {}).get("name") or invoice.get("customer_name"),
            "customer_email": (customer or {}).get("email") or invoice.get("customer_email"),
            "number": invoice.get("number") or invoice["id"],
            "amount": invoice["amount_remaining"],
            "currency": invoice["currency"],
            "attempt": invoice["attempt_count"],
            "attempted_at": int(created.timestamp()),
            "next_retry": invoice.get("next_payment_attempt"),
            "codes": list(codes),
        },
        customer_id=invoice["customer"],
        invoice_id=invoice["id"],
        test_clock_id=invoice.get("test_clock"),
    )


def queue_overdue_digest(
    overdue: Sequence[Invoice], *, scope: str, livemode: bool, clock: str | None, now: dt.datetime
) -> None:
    """The morning's list of overdue bank-transfer invoices of one scope (once per local day)."""
    to = recipients()
    if not to:
        return
    day = now.astimezone(local_zone()).date().isoformat()
    rows = [
        {
            "id": inv.id,
            "number": inv.number or inv.id,
            "customer": inv.customer_name or inv.customer_email or inv.customer_id,
            "amount": inv.amount_remaining,
            "currency": inv.currency,
            "due": to_unix(inv.due_date),
        }
        for inv in overdue[:DIGEST_ROWS]
    ]
    queue(
        [
            new_email(
                Kind.OVERDUE_DIGEST,
                livemode=livemode,
                created=now,
                to=to,
                locale=team_locale(),
                dedupe_key=f"overdue_digest:{scope}:{day}",
                context={"invoices": rows, "count": len(overdue), "as_of": to_unix(now)},
                test_clock_id=clock,
            )
        ]
    )
