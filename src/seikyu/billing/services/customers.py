"""Customers, their tax ids and customer-wide discounts.

Invariants
- ``invoice_prefix`` is 3–12 upper-case letters or digits and unique within a mode, so invoice
  numbers (prefix + per-customer sequence) never collide.
- A customer on a test clock is a test-mode customer, created at the clock's frozen time; the
  clock's time is the customer's time for everything billed to them.
- ``invoice_settings.default_payment_method`` is always a payment method attached to the customer.
- A customer has at most one active customer-wide discount (``subscription`` and ``invoice`` null,
  ``ended_at`` null); applying another ends the previous one.
- Deleting is soft: the row stays (invoices and events refer to it), reads answer
  ``{"id", "object": "customer", "deleted": true}``, and its open subscriptions are canceled.
- ``balance`` given directly is recorded as a balance transaction (``initial`` on create,
  ``adjustment`` on update), so a customer's transactions always add up to its balance.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import string
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from seikyu.core.errors import InvalidRequest, ResourceMissing
from seikyu.core.ids import new_id
from seikyu.events.services import emit, previous_attributes

from ..clock import now_for
from ..models import Customer, Discount, PaymentMethod, Subscription, TaxId, TestClock
from ..render.customers import active_customer_discount, render_customer, render_discount, render_tax_id
from .catalog import (
    emit_created,
    emit_updated,
    load,
    merge_metadata,
    new_discount,
    record_redemptions,
    resolve_discount_source,
)
from .numbering import INVOICE_PREFIX

MAX_TAX_IDS = 25
MAX_CUSTOM_FIELDS = 4
_PREFIX_ALPHABET = string.ascii_uppercase + string.digits
_TAX_ID_TYPE = re.compile(r"^[a-z]{2}_[a-z_]{2,16}$")
# Japan first: the formats a Japanese invoice depends on are checked, others are stored as given.
_TAX_ID_FORMATS = {
    "jp_trn": (re.compile(r"^T\d{13}$"), "T followed by 13 digits (適格請求書発行事業者登録番号)"),
    "jp_cn": (re.compile(r"^\d{13}$"), "13 digits (法人番号)"),
    "jp_rn": (re.compile(r"^\d{5}$"), "5 digits"),
}
_ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")
_SIMPLE_FIELDS = ("email", "name", "phone", "description", "tax_exempt", "next_invoice_sequence")
_NOT_NULL = ("balance", "tax_exempt", "next_invoice_sequence")
# A balance set directly on a customer without a currency yet is in yen, as previews assume.
_HOME_CURRENCY = "jpy"


# --------------------------------------------------------------------------- field helpers


def _address(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if value is None else {key: value.get(key) for key in _ADDRESS_KEYS}


def _shipping(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"address": _address(value.get("address") or {}), "name": value.get("name"), "phone": value.get("phone")}


def _check_prefix(prefix: str, livemode: bool, exclude: str | None = None) -> str:
    if not INVOICE_PREFIX.fullmatch(prefix):
        raise InvalidRequest("Invalid invoice_prefix: 3 to 12 upper-case letters or digits.", param="invoice_prefix")
    taken = Customer.objects.filter(livemode=livemode, invoice_prefix=prefix)
    if exclude:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise InvalidRequest(f"The invoice prefix {prefix} is already in use.", param="invoice_prefix")
    return prefix


def _new_prefix(livemode: bool) -> str:
    while True:
        prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(8))
        if not Customer.objects.filter(livemode=livemode, invoice_prefix=prefix).exists():
            return prefix


def _apply_invoice_settings(customer: Customer, settings: Mapping[str, Any]) -> None:
    if "custom_fields" in settings:
        fields = settings["custom_fields"]
        if fields and len(fields) > MAX_CUSTOM_FIELDS:
            raise InvalidRequest(f"At most {MAX_CUSTOM_FIELDS} custom fields.", param="invoice_settings[custom_fields]")
        customer.invoice_custom_fields = [{"name": f["name"], "value": f["value"]} for f in fields] if fields else None
    if "footer" in settings:
        customer.invoice_footer = settings["footer"]
    if "rendering_options" in settings:
        options = settings["rendering_options"]
        customer.invoice_rendering_options = (
            None
            if options is None
            else {"amount_tax_display": options.get("amount_tax_display"), "template": options.get("template")}
        )
    if "default_payment_method" in settings:
        pm_id = settings["default_payment_method"]
        if (
            pm_id is not None
            and not PaymentMethod.objects.filter(livemode=customer.livemode, pk=pm_id, customer_id=customer.id).exists()
        ):
            raise InvalidRequest(
                f"The customer does not have a payment method with the ID {pm_id}. The payment method must be "
                "attached to the customer.",
                param="invoice_settings[default_payment_method]",
            )
        customer.default_payment_method_id = pm_id


def _apply_common(customer: Customer, data: Mapping[str, Any]) -> None:
    """Everything but ``balance``, which ``_set_balance`` records once the customer row exists."""
    for name in _NOT_NULL:
        if name in data and data[name] is None:
            raise InvalidRequest(f"{name} cannot be unset.", code="parameter_invalid_empty", param=name)
    for name in _SIMPLE_FIELDS:
        if name in data:
            setattr(customer, name, data[name])
    if customer.next_invoice_sequence < 1:
        raise InvalidRequest("Invalid next_invoice_sequence: must be at least 1.", param="next_invoice_sequence")
    if "address" in data:
        customer.address = _address(data["address"])
    if "shipping" in data:
        customer.shipping = _shipping(data["shipping"])
    if "preferred_locales" in data:
        customer.preferred_locales = list(data["preferred_locales"] or [])
    if "metadata" in data:
        customer.metadata = merge_metadata(customer.metadata, data["metadata"])


def _set_balance(customer: Customer, data: Mapping[str, Any], kind: str, at: dt.datetime) -> None:
    """A ``balance`` given directly: the difference from the current balance becomes a balance
    transaction of ``kind`` (Stripe's ``initial`` on create, ``adjustment`` on update), written
    through ``apply_balance_changes`` like every balance change. The customer's own event
    (``customer.created`` / ``customer.updated``) announces the new balance."""
    if data.get("balance") is None:
        return
    amount = int(data["balance"]) - customer.balance
    if amount == 0:
        return
    from .customer_balance import BalanceChange, apply_balance_changes  # it imports this module

    change = BalanceChange(
        customer_id=customer.id,
        amount=amount,
        currency=customer.currency or _HOME_CURRENCY,
        type=kind,
        created=at,
    )
    apply_balance_changes([change], customers={customer.id: customer}, announce=False)


# --------------------------------------------------------------------------- customers


@transaction.atomic
def create_customer(data: Mapping[str, Any], *, livemode: bool) -> Customer:
    clock = None
    if data.get("test_clock"):
        if livemode:
            raise InvalidRequest("Test clocks can only be used in test mode.", param="test_clock")
        clock = load(TestClock, data["test_clock"], livemode=False, kind="test_clock", param="test_clock")
    customer = Customer(id=new_id("cus"), livemode=livemode, test_clock=clock, metadata={})
    now = now_for(customer)
    customer.created = now
    _apply_common(customer, data)
    customer.invoice_prefix = (
        _check_prefix(data["invoice_prefix"], livemode) if data.get("invoice_prefix") else _new_prefix(livemode)
    )
    settings = dict(data.get("invoice_settings") or {})
    default_pm = settings.pop("default_payment_method", None)
    _apply_invoice_settings(customer, settings)
    customer.save(force_insert=True)
    _set_balance(customer, data, "initial", now)

    pm_id = data.get("payment_method")
    if pm_id:
        from .payment_methods import attach_payment_method

        attached = attach_payment_method(pm_id, customer, livemode=livemode)
        # A test card such as pm_card_visa attaches as a fresh pm_…: the default names that one.
        if default_pm == pm_id:
            default_pm = attached.id
    if default_pm is not None:
        _apply_invoice_settings(customer, {"default_payment_method": default_pm})
        customer.save(update_fields=["default_payment_method"])

    tax_ids = [_new_tax_id(customer, d, f"tax_id_data[{i}]") for i, d in enumerate(data.get("tax_id_data") or [])]
    if len(tax_ids) > MAX_TAX_IDS:
        raise InvalidRequest(f"At most {MAX_TAX_IDS} tax ids per customer.", param="tax_id_data")
    TaxId.objects.bulk_create(tax_ids)
    discount = _start_discount(customer, data, now) if (data.get("coupon") or data.get("promotion_code")) else None

    emit("customer.created", render_customer(customer, discount=discount), created=now, livemode=livemode)
    for tax_id in tax_ids:
        emit_created("customer.tax_id.created", tax_id, render_tax_id, now)
    if discount is not None:
        emit_created("customer.discount.created", discount, render_discount, now)
    return customer


def load_customer(customer_id: str, *, livemode: bool, for_update: bool = False, param: str = "id") -> Customer:
    """A customer that is not deleted, or ``resource_missing``."""
    return load(Customer, customer_id, livemode=livemode, kind="customer", param=param, for_update=for_update)


@transaction.atomic
def update_customer(customer_id: str, data: Mapping[str, Any], *, livemode: bool) -> Customer:
    customer = load_customer(customer_id, livemode=livemode, for_update=True)
    now = now_for(customer)
    before = render_customer(customer)
    _apply_common(customer, data)
    if "invoice_prefix" in data:
        if data["invoice_prefix"] is None:
            raise InvalidRequest(
                "invoice_prefix cannot be unset.", code="parameter_invalid_empty", param="invoice_prefix"
            )
        customer.invoice_prefix = _check_prefix(data["invoice_prefix"], livemode, exclude=customer.id)
    _apply_invoice_settings(customer, data.get("invoice_settings") or {})
    customer.save()
    _set_balance(customer, data, "adjustment", now)
    discount_change = "coupon" in data or "promotion_code" in data
    if discount_change:
        _change_discount(customer, data, now)
    emit_updated("customer.updated", customer, before, render_customer, now)
    return customer


def _start_discount(customer: Customer, data: Mapping[str, Any], now: dt.datetime) -> Discount:
    coupon, promo = resolve_discount_source(
        coupon_id=data.get("coupon"),
        promotion_code_id=data.get("promotion_code"),
        livemode=customer.livemode,
        customer=customer,
        at=now,
    )
    discount = new_discount(coupon, promo, customer, start=now)
    discount.save(force_insert=True)
    record_redemptions(coupon, promo)
    return discount


def _change_discount(customer: Customer, data: Mapping[str, Any], now: dt.datetime) -> None:
    """``coupon``/``promotion_code`` on update: replace the customer's discount (``None`` removes it)."""
    old = active_customer_discount(customer)
    if data.get("coupon") is None and data.get("promotion_code") is None:
        if old is not None:
            _end_discount(old, now)
        return
    new = _start_discount(customer, data, now)
    if old is None:
        emit_created("customer.discount.created", new, render_discount, now)
        return
    old_wire = render_discount(old)
    old.ended_at = now
    old.save(update_fields=["ended_at"])
    new_wire = render_discount(new)
    emit(
        "customer.discount.updated",
        new_wire,
        created=now,
        livemode=customer.livemode,
        previous_attributes=previous_attributes(old_wire, new_wire),
    )


def _end_discount(discount: Discount, now: dt.datetime) -> dict[str, Any]:
    discount.ended_at = now
    discount.save(update_fields=["ended_at"])
    wire = render_discount(discount)
    emit("customer.discount.deleted", wire, created=now, livemode=discount.livemode)
    return {**wire, "deleted": True}


@transaction.atomic
def delete_customer_discount(customer_id: str, *, livemode: bool) -> dict[str, Any]:
    """``DELETE /v1/customers/{id}/discount``: the ended discount, marked ``deleted``."""
    customer = load_customer(customer_id, livemode=livemode, for_update=True)
    discount = active_customer_discount(customer)
    if discount is None:
        raise ResourceMissing("discount on customer", customer_id)
    return _end_discount(discount, now_for(customer))


@transaction.atomic
def delete_customer(customer_id: str, *, livemode: bool) -> Customer:
    customer = load_customer(customer_id, livemode=livemode, for_update=True)
    now = now_for(customer)
    open_subscriptions = list(
        Subscription.objects.filter(customer_id=customer.id).exclude(status__in=("canceled", "incomplete_expired"))
    )
    if open_subscriptions:
        from .subscriptions import cancel_subscription

        for subscription in open_subscriptions:
            cancel_subscription(subscription, now=now)
    snapshot = render_customer(customer)
    customer.deleted_at = now
    customer.save(update_fields=["deleted_at"])
    emit("customer.deleted", snapshot, created=now, livemode=livemode)
    return customer


# --------------------------------------------------------------------------- tax ids


def _new_tax_id(customer: Customer, data: Mapping[str, Any], param: str = "") -> TaxId:
    def p(name: str) -> str:
        return f"{param}[{name}]" if param else name

    kind, value = data["type"], (data["value"] or "").strip()
    if not _TAX_ID_TYPE.fullmatch(kind):
        raise InvalidRequest(f"Invalid tax id type: {kind}", param=p("type"))
    pattern = _TAX_ID_FORMATS.get(kind)
    if pattern is not None and not pattern[0].fullmatch(value):
        raise InvalidRequest(f"Invalid value for {kind}: expected {pattern[1]}.", param=p("value"))
    if not value:
        raise InvalidRequest("Missing required param: value.", code="parameter_missing", param=p("value"))
    country = value[:2].upper() if kind in ("eu_vat", "eu_oss_vat") else kind[:2].upper()
    return TaxId(
        id=new_id("txi"),
        livemode=customer.livemode,
        created=now_for(customer),
        customer=customer,
        type=kind,
        value=value,
        country=country,
    )


@transaction.atomic
def create_tax_id(customer_id: str, data: Mapping[str, Any], *, livemode: bool) -> TaxId:
    customer = load_customer(customer_id, livemode=livemode, for_update=True)
    if TaxId.objects.filter(customer_id=customer.id).count() >= MAX_TAX_IDS:
        raise InvalidRequest(f"At most {MAX_TAX_IDS} tax ids per customer.", param="type")
    tax_id = _new_tax_id(customer, data)
    tax_id.save(force_insert=True)
    emit_created("customer.tax_id.created", tax_id, render_tax_id, tax_id.created)
    return tax_id


@transaction.atomic
def delete_tax_id(customer_id: str, tax_id_id: str, *, livemode: bool) -> dict[str, Any]:
    """The deleted tax id as ``{"id", "object": "tax_id", "deleted": true}``."""
    customer = load_customer(customer_id, livemode=livemode, for_update=True)
    tax_id = TaxId.objects.filter(livemode=livemode, customer_id=customer.id, pk=tax_id_id).first()
    if tax_id is None:
        raise ResourceMissing("tax_id", tax_id_id)
    snapshot = render_tax_id(tax_id)
    tax_id.delete()
    emit("customer.tax_id.deleted", snapshot, created=now_for(customer), livemode=livemode)
    return {"id": tax_id_id, "object": "tax_id", "deleted": True}
