"""Laying an email out: the ``Message`` of its kind in the account's branding, as HTML and plain
text, with the sender, reply-to and the logo as an inline image.

Email clients keep little of HTML: the layout is tables with inline styles, 600 px wide, and
only PNG or JPEG logos are shown (most clients block SVG; the business name stands in for it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from seikyu.account.models import AccountSettings
from seikyu.documents import labels

from .content import CUSTOMER_KINDS, WITH_BANK_DETAILS, Message, message_for
from .models import OutboundEmail
from .words import COMMON

LOGO_CID = "logo@seikyu"
FONT = (
    "'Hiragino Kaku Gothic ProN','Hiragino Sans','Noto Sans JP','Noto Sans CJK JP','Yu Gothic',Meiryo,"
    "-apple-system,'Segoe UI',Helvetica,Arial,sans-serif"
)
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class Brand:
    """What every email shows about the business (from the account settings when it is rendered)."""

    name: str
    brand_color: str
    accent_color: str
    support: list[str]
    address: str
    bank: Mapping[str, Any] | None
    has_reply_to: bool
    logo_cid: str | None = None


@dataclass(frozen=True)
class Composed:
    subject: str
    text: str
    html: str
    from_email: str
    reply_to: list[str]
    # The logo file shown inline (cid:LOGO_CID), or None.
    logo_file: str | None


def business_name(account: AccountSettings, locale: str) -> str:
    if locale == "en":
        return account.business_name_en or account.business_name or account.email_sender_name or ""
    return account.business_name or account.business_name_en or account.email_sender_name or ""


def sender(account: AccountSettings) -> str:
    """``Name <address>`` from the settings, else Django's ``DEFAULT_FROM_EMAIL``."""
    address = account.email_sender_address or settings.DEFAULT_FROM_EMAIL
    name = account.email_sender_name or account.business_name
    if not name or "<" in address:
        return address
    return str(Address(display_name=name, addr_spec=address))


def reply_to(account: AccountSettings) -> list[str]:
    address = account.email_reply_to or account.support_email
    return [address] if address else []


def inline_logo(account: AccountSettings) -> str | None:
    """The logo's file id when email clients can show it (PNG or JPEG), else None."""
    return account.logo_id if account.logo_id and account.logo and account.logo.type in ("png", "jpg") else None


def _color(value: str | None, default: str) -> str:
    return value if value and _HEX.match(value) else default


def readable_on(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (WCAG relative luminance)."""

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(background[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#111827" if luminance > 0.35 else "#ffffff"


def brand_for(account: AccountSettings, locale: str, *, logo_file: str | None) -> Brand:
    support = []
    if account.support_email and account.support_email_shown:
        support.append(account.support_email)
    if account.support_phone and account.support_phone_shown:
        support.append(labels.TEXT[locale]["tel"].format(value=account.support_phone))
    if account.support_url and account.support_url_shown:
        support.append(account.support_url)
    address = (account.address_en or account.address) if locale == "en" else account.address
    bank = None
    if account.bank_name:
        bank = {
            "bank_name": account.bank_name,
            "branch_name": account.bank_branch_name,
            "branch_code": account.bank_branch_code,
            "account_type": account.bank_account_type,
            "account_number": account.bank_account_number,
            "account_holder": account.bank_account_holder,
            "note": account.bank_transfer_note,
        }
    return Brand(
        name=business_name(account, locale),
        brand_color=_color(account.brand_color, "#1F3A5F"),
        accent_color=_color(account.accent_color, "#EEF2F7"),
        support=support,
        address=" ".join(labels.address_lines(address, locale)) if account.address_shown else "",
        bank=bank,
        has_reply_to=bool(reply_to(account)),
        logo_cid=LOGO_CID if logo_file else None,
    )


def _bank_rows(bank: dict[str, Any] | Any, locale: str) -> list[tuple[str, str]]:
    text = labels.TEXT[locale]
    branch = bank["branch_name"] + (f"（{bank['branch_code']}）" if bank.get("branch_code") else "")
    return [
        (text["bank"], bank["bank_name"]),
        (text["branch"], branch),
        (text["account_type"], text.get(bank["account_type"] or "", bank["account_type"] or "")),
        (text["account_number"], bank["account_number"]),
        (text["account_holder"], bank["account_holder"]),
    ]


def compose(email: OutboundEmail, account: AccountSettings, logo_file: str | None) -> Composed:
    """The email's subject, text and HTML in its language, with the account's branding now."""
    locale = email.locale if email.locale in labels.LOCALES else "ja"
    message: Message = message_for(email)
    brand = brand_for(account, locale, logo_file=logo_file)
    if email.kind in WITH_BANK_DETAILS and brand.bank:
        message.bank = _bank_rows(brand.bank, locale)
        message.bank_title = labels.TEXT[locale]["bank_title"]
        message.bank_note = brand.bank.get("note") or ""
    words = COMMON[locale]
    for_customer = email.kind in CUSTOMER_KINDS
    if for_customer:
        subject = (words["test_prefix"] if not email.livemode else "") + message.subject
        banner, reply_hint = words["test_banner"], words["reply_hint"] if brand.has_reply_to else ""
        sent_to = words["sent_to"].format(business=brand.name, email=", ".join(email.to)) if brand.name else ""
    else:
        # The team's own mail: replies should not go to the customer-support address.
        banner, reply_hint, sent_to = words["test_banner_team"], "", words["team_footer"]
        subject = words["team_prefix" if email.livemode else "team_test_prefix"] + message.subject
    context = {
        "lang": locale,
        "m": message,
        "b": brand,
        "font": FONT,
        "button_text": readable_on(brand.brand_color),
        # The name is written in the brand colour unless that colour is too light to read on white.
        "name_color": brand.brand_color if readable_on(brand.brand_color) == "#ffffff" else "#111827",
        "preheader": message.paragraphs[0] if message.paragraphs else message.title,
        "test_banner": banner if not email.livemode else "",
        "link_fallback": words["link_fallback"],
        "reply_hint": reply_hint,
        "sent_to": sent_to,
    }
    return Composed(
        # A header is one line: a name typed with a line break must not break it.
        subject=" ".join(subject.split()),
        text=render_to_string("notifications/email.txt", context).strip() + "\n",
        html=render_to_string("notifications/email.html", context),
        from_email=sender(account),
        reply_to=reply_to(account) if for_customer else [],
        logo_file=logo_file,
    )
