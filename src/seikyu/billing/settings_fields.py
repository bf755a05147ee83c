"""The ``billing_settings`` object (Seikyu extension, one per mode): each leaf's wire path, its
``BillingSettings`` column and check, and the update's types — the same table-driven form as the
account settings (``seikyu.account.fields``), so rendering, updating and the command line all go
through ``LEAVES``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from seikyu.account.fields import Leaf
from seikyu.account.schema import Hash
from seikyu.core.errors import InvalidRequest

from .services.numbering import INVOICE_PREFIX

# Stripe lets an integration hold a new invoice's draft for up to 72 hours.
MAX_DRAFT_WINDOW_SECONDS = 72 * 3600
NEVER = "never"

Days = Annotated[int, Field(ge=1, le=60)]


class Invoices(Hash):
    draft_window_seconds: Annotated[int, Field(ge=0, le=MAX_DRAFT_WINDOW_SECONDS)] | None = None
    numbering: Literal["customer", "account"] | None = None
    account_prefix: str | None = None
    next_account_sequence: Annotated[int, Field(ge=1)] | None = None


class Dunning(Hash):
    retry_schedule_days: Annotated[list[Days], Field(min_length=1, max_length=8)] | None = None
    subscription_after_retries: Literal["cancel", "unpaid", "past_due"] | None = None
    invoice_after_retries: Literal["uncollectible", "open"] | None = None
    send_invoice_overdue_days: Annotated[int, Field(ge=1, le=365)] | Literal["never"] | None = None


class BillingSettingsUpdate(Hash):
    """An update of the billing settings; ``None`` (the API's empty string) resets a setting, or
    every setting of a hash, to its default."""

    tax_rounding: Literal["down", "up", "half_up", "half_even"] | None = None
    invoices: Invoices | None = None
    dunning: Dunning | None = None
    upcoming_renewal_days: Days | None = None


def _prefix(value: str, param: str) -> str:
    prefix = value.strip().upper()
    if not INVOICE_PREFIX.fullmatch(prefix):
        raise InvalidRequest(f"Invalid {param}: 3 to 12 upper-case letters or digits.", param=param)
    return prefix


def _never_as_none(value: Any, param: str) -> Any:
    return None if value == NEVER else value


def _none_as_never(value: Any) -> Any:
    return NEVER if value is None else value


LEAVES: tuple[Leaf, ...] = (
    Leaf(("tax_rounding",), "tax_rounding"),
    Leaf(("invoices", "draft_window_seconds"), "invoice_draft_window_seconds"),
    Leaf(("invoices", "numbering"), "invoice_numbering"),
    Leaf(("invoices", "account_prefix"), "account_invoice_prefix", _prefix),
    Leaf(("invoices", "next_account_sequence"), "next_account_invoice_sequence"),
    Leaf(("dunning", "retry_schedule_days"), "retry_schedule_days"),
    Leaf(("dunning", "subscription_after_retries"), "subscription_after_retries"),
    Leaf(("dunning", "invoice_after_retries"), "invoice_after_retries"),
    Leaf(("dunning", "send_invoice_overdue_days"), "send_invoice_overdue_days", _never_as_none, _none_as_never),
    Leaf(("upcoming_renewal_days",), "upcoming_renewal_days"),
)
