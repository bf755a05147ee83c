"""The shape of an ``account_settings`` update: nested hashes as the API receives them
(``business[registration_number]=T…``, ``customer_emails[trial_ending][days_before]=5``).

Types only; what a value means (check digits, colours, kana) is checked by ``fields``. ``None`` in
an update means "back to the default" (the API's empty string), for a leaf or a whole hash.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class Hash(BaseModel):
    """A nested hash of settings: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class Address(Hash):
    country: str | None = None
    postal_code: str | None = None
    state: str | None = None  # 都道府県
    city: str | None = None  # 市区町村
    line1: str | None = None  # 町名・番地
    line2: str | None = None  # 建物名


class Business(Hash):
    name: Annotated[str, Field(max_length=100)] | None = None
    name_en: Annotated[str, Field(max_length=100)] | None = None
    address: Address | None = None
    address_en: Address | None = None
    address_shown: bool | None = None
    registration_number: str | None = None


class Support(Hash):
    phone: str | None = None
    phone_shown: bool | None = None
    email: str | None = None
    email_shown: bool | None = None
    url: str | None = None
    url_shown: bool | None = None


class Branding(Hash):
    logo: str | None = None  # file_… with purpose business_logo
    brand_color: str | None = None
    accent_color: str | None = None


class InvoiceDefaults(Hash):
    memo: Annotated[str, Field(max_length=5000)] | None = None
    footer: Annotated[str, Field(max_length=5000)] | None = None


class BankTransfer(Hash):
    bank_name: Annotated[str, Field(max_length=60)] | None = None
    branch_name: Annotated[str, Field(max_length=60)] | None = None
    branch_code: str | None = None
    account_type: Literal["futsu", "toza"] | None = None  # 普通 | 当座
    account_number: str | None = None
    account_holder: str | None = None  # half-width katakana
    note: Annotated[str, Field(max_length=1000)] | None = None


class EmailSender(Hash):
    name: Annotated[str, Field(max_length=100)] | None = None
    address: str | None = None
    reply_to: str | None = None


class Switch(Hash):
    enabled: bool | None = None


class TimedSwitch(Switch):
    days_before: Annotated[int, Field(ge=1, le=60)] | None = None


class Reminders(Switch):
    days_after_due: Annotated[list[Annotated[int, Field(ge=1, le=365)]], Field(max_length=10)] | None = None


class CustomerEmails(Hash):
    trial_ending: TimedSwitch | None = None
    # Its timing is the billing setting ``upcoming_renewal_days``, shared with ``invoice.upcoming``.
    upcoming_renewal: Switch | None = None
    card_expiring: Switch | None = None
    payment_succeeded: Switch | None = None
    payment_failed: Switch | None = None
    invoice_finalized: Switch | None = None
    past_due_reminders: Reminders | None = None
    credit_note_issued: Switch | None = None


class SettingsUpdate(Hash):
    business: Business | None = None
    support: Support | None = None
    branding: Branding | None = None
    statement_descriptor: str | None = None
    invoice_defaults: InvoiceDefaults | None = None
    bank_transfer: BankTransfer | None = None
    email_sender: EmailSender | None = None
    alert_recipients: Annotated[list[str], Field(max_length=20)] | None = None
    customer_emails: CustomerEmails | None = None
