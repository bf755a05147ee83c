"""Where each leaf of the ``account_settings`` object lives (its column) and how it is checked.

One table drives rendering, updating and the command line, so a new setting is one line here,
one column and one schema field. The functions after the ``Leaf`` class work on any such table
(the billing settings use them too): check an update's types against its schema, find the
value sent for a leaf, turn it into what is stored, render a row as the nested object.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from pydantic import BaseModel, ValidationError

from seikyu.core.errors import InvalidRequest, input_param, param_name

from . import checks

Check = Callable[[Any, str], Any]
# What an update did not send for a leaf (``None`` means "back to the default").
MISSING: Any = object()


@dataclass(frozen=True)
class Leaf:
    path: tuple[str, ...]
    column: str
    check: Check | None = None
    # How the stored value is shown, when not as it is.
    show: Callable[[Any], Any] | None = None

    @property
    def param(self) -> str:
        """The wire name of this setting: ``business[registration_number]``."""
        return param_name(self.path)

    @property
    def dotted(self) -> str:
        """The command line's name of this setting: ``business.registration_number``."""
        return ".".join(self.path)


def _address(value: dict[str, Any], param: str) -> dict[str, Any] | None:
    kept = {key: str(v).strip() for key, v in value.items() if v is not None and str(v).strip()}
    if "country" in kept:
        kept["country"] = kept["country"].upper()
    return kept or None


def _emails(value: list[str], param: str) -> list[str]:
    found: list[str] = []
    for index, item in enumerate(value):
        address = checks.email(item, f"{param}[{index}]")
        if address not in found:
            found.append(address)
    return found


def _days(value: list[int], param: str) -> list[int]:
    if not value:
        raise InvalidRequest("Give at least one day for the reminder schedule.", param=param)
    return sorted(set(value))


def _digits(length: int, label: str, pad: bool = False) -> Check:
    return lambda value, param: checks.digits(value, param, length=length, label=label, pad=pad)


def _text(value: str, param: str) -> str | None:
    return value.strip() or None


LEAVES: tuple[Leaf, ...] = (
    Leaf(("business", "name"), "business_name", _text),
    Leaf(("business", "name_en"), "business_name_en", _text),
    Leaf(("business", "address"), "address", _address),
    Leaf(("business", "address_en"), "address_en", _address),
    Leaf(("business", "address_shown"), "address_shown"),
    Leaf(("business", "registration_number"), "registration_number", checks.registration_number),
    Leaf(("support", "phone"), "support_phone", checks.phone),
    Leaf(("support", "phone_shown"), "support_phone_shown"),
    Leaf(("support", "email"), "support_email", checks.email),
    Leaf(("support", "email_shown"), "support_email_shown"),
    Leaf(("support", "url"), "support_url", checks.url),
    Leaf(("support", "url_shown"), "support_url_shown"),
    Leaf(("branding", "logo"), "logo_id"),  # checked against the files by the service
    Leaf(("branding", "brand_color"), "brand_color", checks.color),
    Leaf(("branding", "accent_color"), "accent_color", checks.color),
    Leaf(("statement_descriptor",), "statement_descriptor", checks.statement_descriptor),
    Leaf(("invoice_defaults", "memo"), "invoice_memo", _text),
    Leaf(("invoice_defaults", "footer"), "invoice_footer", _text),
    Leaf(("bank_transfer", "bank_name"), "bank_name", _text),
    Leaf(("bank_transfer", "branch_name"), "bank_branch_name", _text),
    Leaf(("bank_transfer", "branch_code"), "bank_branch_code", _digits(3, "branch code")),
    Leaf(("bank_transfer", "account_type"), "bank_account_type"),
    Leaf(("bank_transfer", "account_number"), "bank_account_number", _digits(7, "account number", pad=True)),
    Leaf(("bank_transfer", "account_holder"), "bank_account_holder", checks.half_width_kana),
    Leaf(("bank_transfer", "note"), "bank_transfer_note", _text),
    Leaf(("email_sender", "name"), "email_sender_name", _text),
    Leaf(("email_sender", "address"), "email_sender_address", checks.email),
    Leaf(("email_sender", "reply_to"), "email_reply_to", checks.email),
    Leaf(("alert_recipients",), "alert_recipients", _emails),
    Leaf(("customer_emails", "trial_ending", "enabled"), "trial_ending_enabled"),
    Leaf(("customer_emails", "trial_ending", "days_before"), "trial_ending_days"),
    Leaf(("customer_emails", "upcoming_renewal", "enabled"), "upcoming_renewal_enabled"),
    Leaf(("customer_emails", "card_expiring", "enabled"), "card_expiring_enabled"),
    Leaf(("customer_emails", "payment_succeeded", "enabled"), "payment_succeeded_enabled"),
    Leaf(("customer_emails", "payment_failed", "enabled"), "payment_failed_enabled"),
    Leaf(("customer_emails", "invoice_finalized", "enabled"), "invoice_finalized_enabled"),
    Leaf(("customer_emails", "past_due_reminders", "enabled"), "past_due_reminders_enabled"),
    Leaf(("customer_emails", "past_due_reminders", "days_after_due"), "past_due_reminder_days", _days),
    Leaf(("customer_emails", "credit_note_issued", "enabled"), "credit_note_issued_enabled"),
)

# A bank-transfer block is printed only when complete: these must all be set together.
BANK_REQUIRED = ("bank_name", "bank_branch_name", "bank_account_type", "bank_account_number", "bank_account_holder")


def by_dotted_name() -> dict[str, Leaf]:
    return {leaf.dotted: leaf for leaf in LEAVES}


# --------------------------------------------------------------------------- any table of leaves


def validated(schema: type[BaseModel], data: Mapping[str, Any], what: str) -> dict[str, Any]:
    """The update ``data`` with its types checked against ``schema``, as the plain nested dict of
    what was sent; the first problem is an ``InvalidRequest`` naming its exact parameter."""
    try:
        return schema.model_validate(data).model_dump(exclude_unset=True)
    except ValidationError as exc:
        error = exc.errors()[0]
        param = input_param(error["loc"], data, error["type"])
        raise InvalidRequest(f"Invalid {param or what}: {error['msg']}.", param=param or None) from None


def given_value(given: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value sent for ``path`` (``MISSING`` when none); a hash sent as ``None`` resets every
    leaf under it."""
    node: Any = given
    for part in path:
        if node is None:
            return None
        if not isinstance(node, Mapping) or part not in node:
            return MISSING
        node = node[part]
    return node


def stored_value(model: type[models.Model], leaf: Leaf, value: Any) -> Any:
    """What ``value`` sent for ``leaf`` stores: the column's default for ``None``, else the value
    as the leaf's check returns it."""
    if value is None:
        field = model._meta.get_field(leaf.column)
        assert isinstance(field, models.Field)
        return field.get_default()
    return leaf.check(value, leaf.param) if leaf.check else value


def render_leaves(row: models.Model, leaves: Sequence[Leaf]) -> dict[str, Any]:
    """The row as the nested object its leaves describe."""
    body: dict[str, Any] = {}
    for leaf in leaves:
        node = body
        for part in leaf.path[:-1]:
            node = node.setdefault(part, {})
        value = getattr(row, leaf.column)
        node[leaf.path[-1]] = leaf.show(value) if leaf.show else value
    return body
