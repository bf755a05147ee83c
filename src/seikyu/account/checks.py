"""Checks of the values a business enters about itself. Each returns the value in its stored
form or raises ``InvalidRequest`` naming the wire parameter; none touches the database."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from seikyu.core.errors import InvalidRequest

_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,24}$")
# Stripe's rule for statement descriptors: Latin letters, digits and most punctuation, at least one letter.
_DESCRIPTOR = re.compile(r"^[A-Za-z0-9 .,\-/&#@!?%+:;()_]{5,22}$")

# 全銀 (Zengin) account-name characters: half-width katakana ｱ–ﾝ with ﾞ ﾟ, upper-case Latin
# letters, digits, space and ( ) - . / , ｢ ｣ \. Small kana (ｧ ｬ ｯ …) and ｰ are not in the set:
# banks show ｷﾕｳ for キュウ and - for ー.
_KANA = "".join(chr(c) for c in range(0xFF71, 0xFF9E)) + "ﾞﾟ"
_ZENGIN = set(_KANA) | set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ()-./,｢｣\\")
_SMALL_KANA = set("ｧｨｩｪｫｬｭｮｯ")


def registration_check_digit(base12: str) -> int:
    """The check digit of a 法人番号 (and so of a qualified-invoice registration number) from
    its 12 base digits: 9 − (Σ Pn × Qn mod 9), where Pn is the n-th digit counted from the
    right of the base number and Qn is 1 for odd n and 2 for even n."""
    if len(base12) != 12 or not base12.isdigit():
        raise ValueError("the base number is 12 digits")
    total = sum(int(digit) * (1 if n % 2 else 2) for n, digit in enumerate(reversed(base12), start=1))
    return 9 - total % 9


def registration_number(value: str, param: str) -> str:
    """``T`` + 13 digits whose first digit checks the other twelve. Full-width characters,
    spaces and hyphens (T1-2345-…) are accepted and removed."""
    compact = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", value)).upper()
    if not re.fullmatch(r"T\d{13}", compact):
        raise InvalidRequest(
            "Invalid registration number: expected T followed by 13 digits (e.g. T1234567890123).", param=param
        )
    digits = compact[1:]
    if int(digits[0]) != registration_check_digit(digits[1:]):
        raise InvalidRequest(
            f"Invalid registration number {compact}: the check digit does not match; please check for a typo.",
            param=param,
        )
    return compact


def color(value: str, param: str) -> str:
    if not _COLOR.fullmatch(value.strip()):
        raise InvalidRequest(f"Invalid colour {value!r}: expected #RRGGBB (e.g. #1F3A5F).", param=param)
    return value.strip().upper()


def email(value: str, param: str) -> str:
    value = value.strip()
    try:
        validate_email(value)
    except ValidationError:
        raise InvalidRequest(f"Invalid email address: {value!r}.", param=param) from None
    return value


def url(value: str, param: str) -> str:
    value = value.strip()
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise InvalidRequest(f"Invalid URL {value!r}: expected an http or https address.", param=param) from None
    return value


def phone(value: str, param: str) -> str:
    value = unicodedata.normalize("NFKC", value).strip()
    if not _PHONE.fullmatch(value):
        raise InvalidRequest(f"Invalid phone number {value!r}: digits, spaces, +, - and ( ) only.", param=param)
    return value


def statement_descriptor(value: str, param: str) -> str:
    value = value.strip()
    if not _DESCRIPTOR.fullmatch(value) or not re.search(r"[A-Za-z]", value):
        raise InvalidRequest(
            "Invalid statement descriptor: 5 to 22 Latin letters, digits or punctuation, with at least one letter.",
            param=param,
        )
    return value


def digits(value: str, param: str, *, length: int, label: str, pad: bool = False) -> str:
    """Exactly ``length`` digits; with ``pad`` shorter numbers are zero-filled (account 12345 → 0012345)."""
    value = unicodedata.normalize("NFKC", value).strip()
    if pad and value.isdigit() and 0 < len(value) < length:
        value = value.zfill(length)
    if not (value.isdigit() and len(value) == length):
        raise InvalidRequest(f"Invalid {label}: expected {length} digits.", param=param)
    return value


def half_width_kana(value: str, param: str) -> str:
    """An account holder as banks print it: half-width katakana, A–Z, digits and ( ) - . / , space."""
    value = value.strip()
    if not value:
        raise InvalidRequest("The account holder cannot be blank.", param=param)
    if set(value) & _SMALL_KANA:
        raise InvalidRequest(
            "Invalid account holder: banks use large kana (ｷﾕｳ, not ｷｭｳ); replace the small kana.", param=param
        )
    wrong = sorted(set(value) - _ZENGIN)
    if wrong:
        raise InvalidRequest(
            f"Invalid account holder: write it in half-width katakana as the bank shows it (e.g. ｶ)ｾｲｷﾕｳ); "
            f"not allowed: {''.join(wrong)}",
            param=param,
        )
    return value
