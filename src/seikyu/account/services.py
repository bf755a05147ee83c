"""Account settings and uploaded files: the only code that writes them.

The settings row is created with its defaults on first read. An update is checked completely
before anything is written, so a bad value changes nothing and its error names the exact
parameter (``business[registration_number]``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from seikyu.core.clock import real_now
from seikyu.core.errors import InvalidRequest, ResourceMissing
from seikyu.core.ids import new_id

from .fields import BANK_REQUIRED, LEAVES, MISSING, Leaf, given_value, stored_value, validated
from .images import image_info
from .models import AccountSettings, File
from .schema import SettingsUpdate

FILE_PURPOSES = ("business_logo", "business_icon")
MAX_FILE_BYTES = 512 * 1024


def get_account_settings() -> AccountSettings:
    found = AccountSettings.objects.filter(pk=1).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return AccountSettings.objects.create(pk=1, updated=real_now())
    except IntegrityError:  # another process made it first
        return AccountSettings.objects.get(pk=1)


def update_account_settings(data: Mapping[str, Any]) -> AccountSettings:
    """Apply a nested update (the ``account_settings`` shape; ``None`` resets a setting or a whole
    hash to its default). Values are checked and normalised first; nothing is saved on error."""
    given = validated(SettingsUpdate, data, "settings")
    with transaction.atomic():
        get_account_settings()
        settings = AccountSettings.objects.select_for_update().get(pk=1)
        for leaf in LEAVES:
            value = given_value(given, leaf.path)
            if value is not MISSING:
                setattr(settings, leaf.column, _stored(leaf, value))
        _check_complete_bank_details(settings)
        settings.updated = real_now()
        settings.save()
    return get_account_settings()


def _stored(leaf: Leaf, value: Any) -> Any:
    if value is not None and leaf.column == "logo_id":
        return _logo(value, leaf.param)
    return stored_value(AccountSettings, leaf, value)


def _logo(file_id: str, param: str) -> str:
    # Settings serve both modes, so a logo uploaded with either key may be used.
    purpose = File.objects.filter(id=file_id).values_list("purpose", flat=True).first()
    if purpose is None:
        raise ResourceMissing("file", file_id, param=param)
    if purpose not in FILE_PURPOSES:
        raise InvalidRequest(f"The file {file_id} was uploaded for {purpose}, not as a business logo.", param=param)
    return file_id


def _check_complete_bank_details(settings: AccountSettings) -> None:
    given = [column for column in BANK_REQUIRED if getattr(settings, column)]
    if given and len(given) < len(BANK_REQUIRED):
        missing = next(column for column in BANK_REQUIRED if not getattr(settings, column))
        leaf = next(leaf for leaf in LEAVES if leaf.column == missing)
        raise InvalidRequest(
            "Bank transfer details are printed only when complete: give the bank name, branch name, account "
            f"type, account number and account holder together (missing {leaf.param}).",
            param=leaf.param,
        )


_SNAPSHOT_COLUMNS = (
    "business_name",
    "business_name_en",
    "address",
    "address_en",
    "address_shown",
    "registration_number",
    "support_phone",
    "support_phone_shown",
    "support_email",
    "support_email_shown",
    "support_url",
    "support_url_shown",
    "logo_id",
    "logo__type",
    "logo__sha256",
    "brand_color",
    "accent_color",
    "statement_descriptor",
    "invoice_memo",
    "invoice_footer",
    "bank_name",
    "bank_branch_name",
    "bank_branch_code",
    "bank_account_type",
    "bank_account_number",
    "bank_account_holder",
    "bank_transfer_note",
)


def issuer_snapshot() -> dict[str, Any]:
    """Everything a document shows about the issuer, as JSON: hidden details are left out, so a
    snapshot taken when an invoice is issued keeps what that invoice printed. (One query: it is
    read for every document rendered.)"""
    s = AccountSettings.objects.filter(pk=1).values(*_SNAPSHOT_COLUMNS).first()
    if s is None:
        get_account_settings()
        return issuer_snapshot()
    bank = None
    if s["bank_name"]:
        bank = {
            "bank_name": s["bank_name"],
            "branch_name": s["bank_branch_name"],
            "branch_code": s["bank_branch_code"],
            "account_type": s["bank_account_type"],
            "account_number": s["bank_account_number"],
            "account_holder": s["bank_account_holder"],
            "note": s["bank_transfer_note"],
        }
    logo = None
    if s["logo_id"] is not None:
        logo = {"file": s["logo_id"], "type": s["logo__type"], "sha256": s["logo__sha256"]}
    shown = s["address_shown"]
    return {
        "name": s["business_name"],
        "name_en": s["business_name_en"],
        "address": s["address"] if shown else None,
        "address_en": (s["address_en"] or s["address"]) if shown else None,
        "registration_number": s["registration_number"],
        "phone": s["support_phone"] if s["support_phone_shown"] else None,
        "email": s["support_email"] if s["support_email_shown"] else None,
        "url": s["support_url"] if s["support_url_shown"] else None,
        "logo": logo,
        "brand_color": s["brand_color"],
        "accent_color": s["accent_color"],
        "statement_descriptor": s["statement_descriptor"],
        "invoice_memo": s["invoice_memo"],
        "invoice_footer": s["invoice_footer"],
        "bank_transfer": bank,
    }


# --------------------------------------------------------------------------- files


def create_file(*, purpose: str, filename: str, content: bytes, livemode: bool, title: str | None = None) -> File:
    """Store an uploaded image. Its type comes from its bytes; the name is only kept."""
    if purpose not in FILE_PURPOSES:
        raise InvalidRequest(
            f"Invalid purpose: must be one of {', '.join(FILE_PURPOSES)} (Seikyu stores branding images).",
            param="purpose",
        )
    if not content:
        raise InvalidRequest("The file is empty.", param="file")
    if len(content) > MAX_FILE_BYTES:
        raise InvalidRequest(
            f"The file is {len(content):,} bytes; a {purpose} may be at most {MAX_FILE_BYTES:,} bytes.", param="file"
        )
    try:
        info = image_info(content)
    except ValueError as exc:
        raise InvalidRequest(f"The file is not usable as a {purpose}: {exc}.", param="file") from None
    return File.objects.create(
        id=new_id("file"),
        livemode=livemode,
        created=real_now(),
        purpose=purpose,
        filename=(filename or f"{purpose}.{info.type}")[:255],
        title=title,
        type=info.type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )


def get_file(file_id: str, *, livemode: bool | None = None, param: str = "id") -> File:
    """A file by id (of the given mode, when one is given)."""
    files = File.objects.filter(id=file_id)
    if livemode is not None:
        files = files.filter(livemode=livemode)
    found = files.first()
    if found is None:
        raise ResourceMissing("file", file_id, param=param)
    return found
