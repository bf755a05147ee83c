"""Which model and render function belong to an object id, from its prefix.

Render modules are imported lazily by dotted path: areas own their render modules, and nothing
here needs them until an object of theirs is rendered or expanded.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.apps import apps
from django.db.models import Model


@dataclass(frozen=True)
class Entry:
    prefix: str  # without the underscore; "" for free-form ids found by field name
    model: str  # "app_label.ModelName"
    renderer: str  # "module.path:function"


_R = "seikyu.billing.render"
ENTRIES: tuple[Entry, ...] = (
    Entry("cus", "billing.Customer", f"{_R}.customers:render_customer"),
    Entry("txi", "billing.TaxId", f"{_R}.customers:render_tax_id"),
    Entry("di", "billing.Discount", f"{_R}.customers:render_discount"),
    Entry("prod", "billing.Product", f"{_R}.catalog:render_product"),
    Entry("price", "billing.Price", f"{_R}.catalog:render_price"),
    Entry("txr", "billing.TaxRate", f"{_R}.catalog:render_tax_rate"),
    Entry("promo", "billing.PromotionCode", f"{_R}.catalog:render_promotion_code"),
    Entry("", "billing.Coupon", f"{_R}.catalog:render_coupon"),
    Entry("pm", "billing.PaymentMethod", f"{_R}.payments:render_payment_method"),
    Entry("pi", "billing.PaymentIntent", f"{_R}.payments:render_payment_intent"),
    Entry("ch", "billing.Charge", f"{_R}.payments:render_charge"),
    Entry("re", "billing.Refund", f"{_R}.payments:render_refund"),
    Entry("in", "billing.Invoice", f"{_R}.invoices:render_invoice"),
    Entry("il", "billing.InvoiceLineItem", f"{_R}.invoices:render_invoice_line"),
    Entry("ii", "billing.InvoiceItem", f"{_R}.invoices:render_invoice_item"),
    Entry("inpay", "billing.InvoicePayment", f"{_R}.invoices:render_invoice_payment"),
    Entry("sub", "billing.Subscription", f"{_R}.subscriptions:render_subscription"),
    Entry("si", "billing.SubscriptionItem", f"{_R}.subscriptions:render_subscription_item"),
    Entry("clock", "billing.TestClock", f"{_R}.clocks:render_test_clock"),
    Entry("cn", "billing.CreditNote", f"{_R}.credit_notes:render_credit_note"),
    Entry("cnli", "billing.CreditNoteLineItem", f"{_R}.credit_notes:render_credit_note_line"),
    Entry("cbtxn", "billing.CustomerBalanceTransaction", f"{_R}.credit_notes:render_customer_balance_transaction"),
    Entry("evt", "events.Event", "seikyu.events.services:render_event"),
    Entry("we", "webhooks.WebhookEndpoint", "seikyu.webhooks.render:render_webhook_endpoint"),
    Entry("whdel", "webhooks.Delivery", "seikyu.webhooks.render:render_delivery"),
)

# Ids the caller may choose (a coupon's ``SPRING25``, a product's ``standard`` or even ``price_x``)
# are recognised by the field holding them, not by a prefix they need not have.
_FREE_FORM_FIELDS = {"coupon": "billing.Coupon", "product": "billing.Product"}


def _model(label: str) -> type[Model]:
    app_label, name = label.split(".")
    return apps.get_model(app_label, name)


@cache
def _by_prefix() -> dict[str, Entry]:
    return {e.prefix: e for e in ENTRIES if e.prefix}


@cache
def _by_model() -> dict[type[Model], Entry]:
    return {_model(e.model): e for e in ENTRIES}


def model_for_id(object_id: str, field: str | None = None) -> type[Model] | None:
    """The model an id belongs to, or ``None``. ``field`` (the attribute holding the id) resolves
    free-form ids such as coupons'."""
    if field in _FREE_FORM_FIELDS:
        return _model(_FREE_FORM_FIELDS[field])
    prefix, sep, _ = object_id.partition("_")
    entry = _by_prefix().get(prefix) if sep else None
    return _model(entry.model) if entry else None


@cache
def _import(dotted: str) -> Callable[..., dict[str, Any]]:
    module, _, name = dotted.partition(":")
    return getattr(importlib.import_module(module), name)


def renderer_for(model: type[Model]) -> Callable[..., dict[str, Any]]:
    entry = _by_model().get(model)
    if entry is None:
        raise LookupError(f"No renderer registered for {model.__name__}")
    return _import(entry.renderer)


def render(obj: Model) -> dict[str, Any]:
    """Any registered object in its wire shape."""
    return renderer_for(type(obj))(obj)
