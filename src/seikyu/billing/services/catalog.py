"""Products, prices, tax rates, coupons and promotion codes.

Functions take plain data (the API passes the parameters the caller sent; ``None`` means "unset")
and the key's ``livemode``, validate everything before writing, and write the change with its
events in one transaction.

Invariants
- A product with prices is never deleted (its prices would dangle); prices are never deleted,
  only deactivated.
- Among active prices of a mode a ``lookup_key`` names at most one price; moving it
  (``transfer_lookup_key``) updates both prices in one transaction.
- Tiered prices have ascending ``up_to`` bounds ending in ``None`` (infinity); every tier has a
  unit or a flat amount. Amounts are integers in the currency's minor unit.
- A tax rate's ``percentage`` and ``inclusive`` never change after creation: issued invoices
  refer to it.
- Among active promotion codes of a mode a ``code`` is unique, ignoring case.
- A coupon's terms (amount, percentage, duration) never change; only its name and metadata do.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import string
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Model

from seikyu.core.clock import from_unix
from seikyu.core.errors import InvalidRequest, ResourceMissing
from seikyu.core.ids import new_id
from seikyu.core.periods import add_interval
from seikyu.events.services import emit, previous_attributes

from ..clock import now_for
from ..models import Coupon, Customer, Discount, Price, Product, PromotionCode, TaxRate
from ..render.catalog import (
    coupon_is_valid,
    render_coupon,
    render_price,
    render_product,
    render_promotion_code,
    render_tax_rate,
)

METADATA_MAX_KEYS = 50
METADATA_MAX_KEY_LENGTH = 40
METADATA_MAX_VALUE_LENGTH = 500

# Interval counts up to three years, as Stripe allows.
_MAX_INTERVAL_COUNT = {"day": 1095, "week": 156, "month": 36, "year": 3}
_CODE_ALPHABET = string.ascii_uppercase + string.digits
_PROMO_CODE = re.compile(r"^[A-Za-z0-9-]+$")


# --------------------------------------------------------------------------- shared helpers


def merge_metadata(current: Mapping[str, str], update: Mapping[str, str | None] | None) -> dict[str, str]:
    """Apply a metadata update: ``None`` for the whole map clears it, ``None`` for a key removes
    that key. Enforces the limits (50 keys, key ≤ 40 chars, value ≤ 500 chars)."""
    merged = {} if update is None else dict(current)
    for key, value in (update or {}).items():
        if len(key) > METADATA_MAX_KEY_LENGTH:
            raise InvalidRequest(
                f"Invalid metadata: keys must be at most {METADATA_MAX_KEY_LENGTH} characters.",
                param=f"metadata[{key}]",
            )
        if value is None:
            merged.pop(key, None)
            continue
        if len(value) > METADATA_MAX_VALUE_LENGTH:
            raise InvalidRequest(
                f"Invalid metadata: values must be at most {METADATA_MAX_VALUE_LENGTH} characters.",
                param=f"metadata[{key}]",
            )
        merged[key] = value
    if len(merged) > METADATA_MAX_KEYS:
        raise InvalidRequest(f"Invalid metadata: at most {METADATA_MAX_KEYS} keys are allowed.", param="metadata")
    return merged


def normalize_currency(value: str, param: str = "currency") -> str:
    code = value.lower()
    if not re.fullmatch(r"[a-z]{3}", code):
        raise InvalidRequest(f"Invalid currency: {value}. Use a three-letter ISO code such as jpy.", param=param)
    return code


def load[M: Model](
    model: type[M], object_id: str, *, livemode: bool, kind: str, param: str = "id", for_update: bool = False
) -> M:
    """The object of this mode, locked for the transaction when ``for_update``."""
    queryset = model._default_manager.filter(livemode=livemode, id=object_id)
    if for_update:
        queryset = queryset.select_for_update()
    obj = queryset.first()
    if obj is None or getattr(obj, "deleted_at", None) is not None:
        raise ResourceMissing(kind, object_id, param=param)
    return obj


def set_fields(obj: Model, data: Mapping[str, Any], names: Iterable[str]) -> None:
    for name in names:
        if name in data:
            setattr(obj, name, data[name])


def emit_created(event_type: str, obj: Model, render: Callable[[Any], dict[str, Any]], at: dt.datetime) -> None:
    emit(event_type, render(obj), created=at, livemode=obj.livemode)  # type: ignore[attr-defined]


def emit_updated(
    event_type: str, obj: Model, before: dict[str, Any], render: Callable[[Any], dict[str, Any]], at: dt.datetime
) -> None:
    """``*.updated`` with ``previous_attributes``; nothing when nothing changed."""
    after = render(obj)
    changed = previous_attributes(before, after)
    if changed:
        emit(event_type, after, created=at, livemode=obj.livemode, previous_attributes=changed)  # type: ignore[attr-defined]


def _future(value: int, param: str, now: dt.datetime) -> dt.datetime:
    at = from_unix(value)
    assert at is not None
    if at <= now:
        raise InvalidRequest(f"Invalid {param}: must be in the future.", param=param)
    return at


def _unique_id(model: type[Model], object_id: str, kind: str, *, livemode: bool) -> None:
    """A chosen id names one object per mode (test and live mode keep ids of their own)."""
    if model._default_manager.filter(livemode=livemode, id=object_id).exists():
        raise InvalidRequest(f"{kind} already exists.", code="resource_already_exists", param="id")


# --------------------------------------------------------------------------- products

_PRODUCT_FIELDS = ("name", "active", "description", "images", "statement_descriptor", "tax_code", "unit_label", "url")


def _features(data: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    if "marketing_features" not in data:
        return None
    return [{"name": f["name"]} for f in data["marketing_features"] or []]


@transaction.atomic
def create_product(data: Mapping[str, Any], *, livemode: bool) -> Product:
    now = now_for(None)
    product_id = data.get("id") or new_id("prod")
    _unique_id(Product, product_id, "Product", livemode=livemode)
    product = Product(id=product_id, livemode=livemode, created=now, updated=now, name=data["name"])
    set_fields(product, data, _PRODUCT_FIELDS)
    product.images = data.get("images") or []
    product.marketing_features = _features(data) or []
    product.metadata = merge_metadata({}, data.get("metadata") or {})
    product.save(force_insert=True)
    price_data = data.get("default_price_data")
    price = None
    if price_data is not None:
        price = _build_price(
            {**price_data, "product": product.id}, product, livemode=livemode, now=now, param="default_price_data"
        )
        price.save(force_insert=True)
        product.default_price = price
        product.save(update_fields=["default_price"])
    emit_created("product.created", product, render_product, now)
    if price is not None:
        emit_created("price.created", price, render_price, now)
    return product


@transaction.atomic
def update_product(product_id: str, data: Mapping[str, Any], *, livemode: bool) -> Product:
    product = load(Product, product_id, livemode=livemode, kind="product", for_update=True)
    now = now_for(None)
    before = render_product(product)
    if "name" in data and not data["name"]:
        raise InvalidRequest("A product needs a name.", code="parameter_invalid_empty", param="name")
    set_fields(product, data, _PRODUCT_FIELDS)
    if "images" in data:
        product.images = data["images"] or []
    if "marketing_features" in data:
        product.marketing_features = _features(data) or []
    if "metadata" in data:
        product.metadata = merge_metadata(product.metadata, data["metadata"])
    if "default_price" in data:
        price_id = data["default_price"]
        if price_id is not None:
            price = load(Price, price_id, livemode=livemode, kind="price", param="default_price")
            if price.product_id != product.id:
                raise InvalidRequest(f"The price {price_id} belongs to another product.", param="default_price")
        product.default_price_id = price_id
    product.updated = now
    product.save()
    emit_updated("product.updated", product, before, render_product, now)
    return product


@transaction.atomic
def delete_product(product_id: str, *, livemode: bool) -> Product:
    product = load(Product, product_id, livemode=livemode, kind="product", for_update=True)
    if product.prices.exists():
        raise InvalidRequest(
            "This product cannot be deleted because it has one or more prices. Archive it instead (active=false).",
            param="id",
        )
    now = now_for(None)
    snapshot = render_product(product)
    product.deleted_at = now
    product.save(update_fields=["deleted_at"])
    emit("product.deleted", snapshot, created=now, livemode=livemode)
    return product


# --------------------------------------------------------------------------- prices


def _tiers(tiers: list[dict[str, Any]], param: str) -> list[dict[str, Any]]:
    if not tiers:
        raise InvalidRequest("Tiered prices need at least one tier.", code="parameter_missing", param=param)
    result, previous = [], 0
    for index, tier in enumerate(tiers):
        here = f"{param}[{index}]"
        up_to = tier.get("up_to")
        last = index == len(tiers) - 1
        if up_to == "inf":
            if not last:
                raise InvalidRequest("Only the last tier may have up_to=inf.", param=f"{here}[up_to]")
            up_to = None
        elif last:
            raise InvalidRequest("The last tier must have up_to=inf.", param=f"{here}[up_to]")
        elif up_to is None or up_to <= previous:
            raise InvalidRequest("Tier bounds (up_to) must be positive and ascending.", param=f"{here}[up_to]")
        else:
            previous = up_to
        unit = _whole_amount(tier, "unit_amount", here)
        flat = _whole_amount(tier, "flat_amount", here)
        if unit is None and flat is None:
            raise InvalidRequest("Each tier needs unit_amount or flat_amount.", param=f"{here}[unit_amount]")
        result.append({"up_to": up_to, "unit_amount": unit, "flat_amount": flat})
    return result


def _whole_amount(data: Mapping[str, Any], name: str, prefix: str = "") -> int | None:
    """``name`` or ``name_decimal``: a whole number of minor units (amounts are integers here)."""
    param = f"{prefix}[{name}]" if prefix else name
    value, decimal = data.get(name), data.get(f"{name}_decimal")
    if value is not None and decimal is not None:
        raise InvalidRequest(f"Only one of {name} and {name}_decimal may be given.", param=param)
    if decimal is not None:
        if Decimal(decimal) != Decimal(decimal).to_integral_value():
            raise InvalidRequest(
                f"Invalid {name}_decimal: amounts are whole numbers of the currency's smallest unit.",
                param=f"{param}_decimal" if not prefix else f"{prefix}[{name}_decimal]",
            )
        value = int(decimal)
    if value is not None and value < 0:
        raise InvalidRequest(f"Invalid {name}: must be at least 0.", param=param)
    return value


def _build_price(
    data: Mapping[str, Any], product: Product, *, livemode: bool, now: dt.datetime, param: str = ""
) -> Price:
    """A validated, unsaved price."""

    def p(name: str) -> str:
        return f"{param}[{name}]" if param else name

    price = Price(
        id=new_id("price"),
        livemode=livemode,
        created=now,
        product=product,
        currency=normalize_currency(data["currency"], p("currency")),
        active=data.get("active") is not False,
        nickname=data.get("nickname"),
        tax_behavior=data.get("tax_behavior") or "unspecified",
        lookup_key=data.get("lookup_key"),
        metadata=merge_metadata({}, data.get("metadata") or {}),
        billing_scheme=data.get("billing_scheme") or "per_unit",
    )
    recurring = data.get("recurring")
    price.type = Price.Type.RECURRING if recurring else Price.Type.ONE_TIME
    if recurring:
        interval, count = recurring["interval"], recurring.get("interval_count") or 1
        if count < 1 or count > _MAX_INTERVAL_COUNT[interval]:
            raise InvalidRequest(
                f"Invalid interval_count: a {interval} price repeats every 1 to {_MAX_INTERVAL_COUNT[interval]} "
                f"{interval}s.",
                param=p("recurring[interval_count]"),
            )
        price.recurring_interval = interval
        price.recurring_interval_count = count
        price.recurring_usage_type = recurring.get("usage_type") or "licensed"
        price.recurring_trial_period_days = recurring.get("trial_period_days")
    if price.billing_scheme == Price.BillingScheme.TIERED:
        if data.get("unit_amount") is not None or data.get("unit_amount_decimal") is not None:
            raise InvalidRequest(
                "Tiered prices take their amounts from tiers, not unit_amount.", param=p("unit_amount")
            )
        if not data.get("tiers_mode"):
            raise InvalidRequest("Missing required param: tiers_mode.", code="parameter_missing", param=p("tiers_mode"))
        if data.get("transform_quantity"):
            raise InvalidRequest("transform_quantity cannot be used with tiered prices.", param=p("transform_quantity"))
        price.tiers_mode = data["tiers_mode"]
        price.tiers = _tiers(data.get("tiers") or [], p("tiers"))
    else:
        if data.get("tiers") or data.get("tiers_mode"):
            raise InvalidRequest("tiers need billing_scheme=tiered.", param=p("tiers"))
        price.unit_amount = _whole_amount(data, "unit_amount", param)
        if price.unit_amount is None:
            raise InvalidRequest(
                "Missing required param: unit_amount.", code="parameter_missing", param=p("unit_amount")
            )
        if transform := data.get("transform_quantity"):
            if transform["divide_by"] < 1:
                raise InvalidRequest("divide_by must be at least 1.", param=p("transform_quantity[divide_by]"))
            price.transform_quantity = {"divide_by": transform["divide_by"], "round": transform["round"]}
    return price


def _claim_lookup_key(price: Price, lookup_key: str | None, transfer: bool, now: dt.datetime) -> None:
    """Make ``lookup_key`` free for ``price``, moving it from its holder when ``transfer``."""
    if not lookup_key:
        return
    holders = list(
        Price.objects.select_for_update()
        .filter(livemode=price.livemode, lookup_key=lookup_key, active=True)
        .exclude(pk=price.pk)
    )
    if holders and not transfer:
        raise InvalidRequest(
            f"A price ({holders[0].id}) already uses the lookup key '{lookup_key}'. Pass transfer_lookup_key=true "
            "to move it.",
            param="lookup_key",
        )
    for holder in holders:
        before = render_price(holder)
        holder.lookup_key = None
        holder.save(update_fields=["lookup_key"])
        emit_updated("price.updated", holder, before, render_price, now)


@transaction.atomic
def create_price(data: Mapping[str, Any], *, livemode: bool) -> Price:
    now = now_for(None)
    product_data = data.get("product_data")
    if data.get("product") and product_data:
        raise InvalidRequest("Pass either product or product_data, not both.", param="product_data")
    if product_data:
        product = create_product(product_data, livemode=livemode)
    elif data.get("product"):
        product = load(Product, data["product"], livemode=livemode, kind="product", param="product")
    else:
        raise InvalidRequest("Missing required param: product.", code="parameter_missing", param="product")
    price = _build_price(data, product, livemode=livemode, now=now)
    _claim_lookup_key(price, price.lookup_key, bool(data.get("transfer_lookup_key")), now)
    price.save(force_insert=True)
    emit_created("price.created", price, render_price, now)
    return price


@transaction.atomic
def update_price(price_id: str, data: Mapping[str, Any], *, livemode: bool) -> Price:
    price = load(Price, price_id, livemode=livemode, kind="price", for_update=True)
    now = now_for(None)
    before = render_price(price)
    if "tax_behavior" in data and data["tax_behavior"] != price.tax_behavior:
        if price.tax_behavior != Price.TaxBehavior.UNSPECIFIED:
            raise InvalidRequest(
                "tax_behavior can only be set on a price whose tax_behavior is unspecified.", param="tax_behavior"
            )
        price.tax_behavior = data["tax_behavior"] or Price.TaxBehavior.UNSPECIFIED
    set_fields(price, data, ("active", "nickname"))
    if "metadata" in data:
        price.metadata = merge_metadata(price.metadata, data["metadata"])
    if "lookup_key" in data:
        price.lookup_key = data["lookup_key"]
    if price.active and price.lookup_key and ("lookup_key" in data or "active" in data):
        _claim_lookup_key(price, price.lookup_key, bool(data.get("transfer_lookup_key")), now)
    price.save()
    emit_updated("price.updated", price, before, render_price, now)
    return price


# --------------------------------------------------------------------------- tax rates

_TAX_RATE_FIELDS = ("active", "country", "description", "display_name", "jurisdiction", "state", "tax_type")


@transaction.atomic
def create_tax_rate(data: Mapping[str, Any], *, livemode: bool) -> TaxRate:
    percentage = Decimal(data["percentage"])
    if not Decimal(0) <= percentage <= Decimal(100):
        raise InvalidRequest("Invalid percentage: must be between 0 and 100.", param="percentage")
    if percentage != percentage.quantize(Decimal("0.0001")):
        raise InvalidRequest("Invalid percentage: at most 4 decimal places.", param="percentage")
    now = now_for(None)
    rate = TaxRate(
        id=new_id("txr"),
        livemode=livemode,
        created=now,
        percentage=percentage,
        inclusive=data["inclusive"],
        display_name=data["display_name"],
    )
    set_fields(rate, data, _TAX_RATE_FIELDS)
    rate.active = data.get("active") is not False
    rate.metadata = merge_metadata({}, data.get("metadata") or {})
    rate.save(force_insert=True)
    emit_created("tax_rate.created", rate, render_tax_rate, now)
    return rate


@transaction.atomic
def update_tax_rate(rate_id: str, data: Mapping[str, Any], *, livemode: bool) -> TaxRate:
    rate = load(TaxRate, rate_id, livemode=livemode, kind="tax_rate", for_update=True)
    if "display_name" in data and not data["display_name"]:
        raise InvalidRequest("A tax rate needs a display_name.", code="parameter_invalid_empty", param="display_name")
    now = now_for(None)
    before = render_tax_rate(rate)
    set_fields(rate, data, _TAX_RATE_FIELDS)
    if "metadata" in data:
        rate.metadata = merge_metadata(rate.metadata, data["metadata"])
    rate.save()
    emit_updated("tax_rate.updated", rate, before, render_tax_rate, now)
    return rate


# --------------------------------------------------------------------------- coupons


def _generated_code(length: int = 8) -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(length))


@transaction.atomic
def create_coupon(data: Mapping[str, Any], *, livemode: bool) -> Coupon:
    now = now_for(None)
    coupon_id = data.get("id") or _generated_code()
    if len(coupon_id) > 64:
        raise InvalidRequest("Invalid id: at most 64 characters.", param="id")
    _unique_id(Coupon, coupon_id, "Coupon", livemode=livemode)
    percent_off, amount_off = data.get("percent_off"), data.get("amount_off")
    if (percent_off is None) == (amount_off is None):
        raise InvalidRequest("Coupons take exactly one of percent_off and amount_off.", param="percent_off")
    coupon = Coupon(id=coupon_id, livemode=livemode, created=now, name=data.get("name"))
    if percent_off is not None:
        percent = Decimal(percent_off)
        if not Decimal(0) < percent <= Decimal(100) or percent != percent.quantize(Decimal("0.01")):
            raise InvalidRequest(
                "Invalid percent_off: more than 0, at most 100, 2 decimal places.", param="percent_off"
            )
        if data.get("currency"):
            raise InvalidRequest("currency is only for amount_off coupons.", param="currency")
        coupon.percent_off = percent
    else:
        if amount_off is None or amount_off < 1:
            raise InvalidRequest("Invalid amount_off: must be at least 1.", param="amount_off")
        if not data.get("currency"):
            raise InvalidRequest("amount_off coupons need a currency.", code="parameter_missing", param="currency")
        coupon.amount_off = amount_off
        coupon.currency = normalize_currency(data["currency"])
    coupon.duration = data.get("duration") or Coupon.Duration.ONCE
    months = data.get("duration_in_months")
    if coupon.duration == Coupon.Duration.REPEATING:
        if not months or months < 1:
            raise InvalidRequest(
                "Repeating coupons need duration_in_months.", code="parameter_missing", param="duration_in_months"
            )
        coupon.duration_in_months = months
    elif months is not None:
        raise InvalidRequest("duration_in_months is only for repeating coupons.", param="duration_in_months")
    if (max_redemptions := data.get("max_redemptions")) is not None:
        if max_redemptions < 1:
            raise InvalidRequest("Invalid max_redemptions: must be at least 1.", param="max_redemptions")
        coupon.max_redemptions = max_redemptions
    if data.get("redeem_by") is not None:
        coupon.redeem_by = _future(data["redeem_by"], "redeem_by", now)
    if applies_to := data.get("applies_to"):
        products = applies_to.get("products") or []
        for index, product_id in enumerate(products):
            load(Product, product_id, livemode=livemode, kind="product", param=f"applies_to[products][{index}]")
        coupon.applies_to = {"products": products}
    coupon.metadata = merge_metadata({}, data.get("metadata") or {})
    coupon.save(force_insert=True)
    emit_created("coupon.created", coupon, render_coupon, now)
    return coupon


@transaction.atomic
def update_coupon(coupon_id: str, data: Mapping[str, Any], *, livemode: bool) -> Coupon:
    coupon = load(Coupon, coupon_id, livemode=livemode, kind="coupon", for_update=True)
    now = now_for(None)
    before = render_coupon(coupon)
    set_fields(coupon, data, ("name",))
    if "metadata" in data:
        coupon.metadata = merge_metadata(coupon.metadata, data["metadata"])
    coupon.save()
    emit_updated("coupon.updated", coupon, before, render_coupon, now)
    return coupon


@transaction.atomic
def delete_coupon(coupon_id: str, *, livemode: bool) -> Coupon:
    """Deleting stops new redemptions; discounts already granted keep running."""
    coupon = load(Coupon, coupon_id, livemode=livemode, kind="coupon", for_update=True)
    now = now_for(None)
    snapshot = render_coupon(coupon)
    coupon.deleted_at = now
    coupon.save(update_fields=["deleted_at"])
    emit("coupon.deleted", snapshot, created=now, livemode=livemode)
    return coupon


# --------------------------------------------------------------------------- promotion codes


def _ensure_code_free(code: str, livemode: bool, exclude: str | None = None) -> None:
    taken = PromotionCode.objects.filter(livemode=livemode, active=True, code__iexact=code)
    if exclude:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise InvalidRequest(
            f"An active promotion code with code '{code}' already exists.",
            code="resource_already_exists",
            param="code",
        )


@transaction.atomic
def create_promotion_code(data: Mapping[str, Any], *, livemode: bool) -> PromotionCode:
    now = now_for(None)
    promotion = data.get("promotion") or {}
    if promotion.get("type", "coupon") != "coupon" or not promotion.get("coupon"):
        raise InvalidRequest(
            "Missing required param: promotion[coupon].", code="parameter_missing", param="promotion[coupon]"
        )
    coupon = load(Coupon, promotion["coupon"], livemode=livemode, kind="coupon", param="promotion[coupon]")
    code = data.get("code")
    if code is None:
        code = _generated_code()
    elif not _PROMO_CODE.fullmatch(code) or len(code) > 500:
        raise InvalidRequest("Invalid code: use letters, digits and dashes (at most 500).", param="code")
    active = data.get("active") is not False
    if active:
        _ensure_code_free(code, livemode)
    promo = PromotionCode(id=new_id("promo"), livemode=livemode, created=now, code=code, coupon=coupon, active=active)
    if data.get("customer"):
        promo.customer = load(Customer, data["customer"], livemode=livemode, kind="customer", param="customer")
    if data.get("expires_at") is not None:
        promo.expires_at = _future(data["expires_at"], "expires_at", now)
        if coupon.redeem_by and promo.expires_at > coupon.redeem_by:
            raise InvalidRequest("expires_at cannot be after the coupon's redeem_by.", param="expires_at")
    if (max_redemptions := data.get("max_redemptions")) is not None:
        if max_redemptions < 1 or (coupon.max_redemptions and max_redemptions > coupon.max_redemptions):
            raise InvalidRequest(
                "Invalid max_redemptions: at least 1 and at most the coupon's max_redemptions.",
                param="max_redemptions",
            )
        promo.max_redemptions = max_redemptions
    promo.restrictions = _restrictions(data.get("restrictions") or {}, {})
    promo.metadata = merge_metadata({}, data.get("metadata") or {})
    promo.save(force_insert=True)
    emit_created("promotion_code.created", promo, render_promotion_code, now)
    return promo


def _restrictions(given: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(current)
    for name in ("first_time_transaction", "minimum_amount", "minimum_amount_currency"):
        if name in given:
            result[name] = given[name]
    if result.get("minimum_amount") is not None:
        if not result.get("minimum_amount_currency"):
            raise InvalidRequest(
                "minimum_amount needs minimum_amount_currency.",
                code="parameter_missing",
                param="restrictions[minimum_amount_currency]",
            )
        result["minimum_amount_currency"] = normalize_currency(
            result["minimum_amount_currency"], "restrictions[minimum_amount_currency]"
        )
    if "currency_options" in given:
        options = dict(result.get("currency_options") or {})
        for currency, option in (given["currency_options"] or {}).items():
            options[normalize_currency(currency, f"restrictions[currency_options][{currency}]")] = {
                "minimum_amount": (option or {}).get("minimum_amount")
            }
        result["currency_options"] = options
    return result


@transaction.atomic
def update_promotion_code(promo_id: str, data: Mapping[str, Any], *, livemode: bool) -> PromotionCode:
    promo = load(PromotionCode, promo_id, livemode=livemode, kind="promotion_code", for_update=True)
    now = now_for(None)
    before = render_promotion_code(promo)
    if data.get("active") is True and not promo.active:
        _ensure_code_free(promo.code, livemode, exclude=promo.id)
    if data.get("active") is not None:
        promo.active = data["active"]
    if "metadata" in data:
        promo.metadata = merge_metadata(promo.metadata, data["metadata"])
    if "restrictions" in data:
        promo.restrictions = _restrictions(data["restrictions"] or {}, promo.restrictions)
    promo.save()
    emit_updated("promotion_code.updated", promo, before, render_promotion_code, now)
    return promo


# --------------------------------------------------------------------------- redeeming


def resolve_discount_source(
    *,
    coupon_id: str | None,
    promotion_code_id: str | None,
    livemode: bool,
    customer: Customer | None,
    at: dt.datetime,
    param_prefix: str = "",
) -> tuple[Coupon, PromotionCode | None]:
    """The coupon (and promotion code) a ``coupon``/``promotion_code`` parameter names, checked
    to be redeemable now by ``customer``. Raises ``InvalidRequest``/``ResourceMissing``."""
    promo = None
    if promotion_code_id:
        param = f"{param_prefix}promotion_code"
        promo = load(PromotionCode, promotion_code_id, livemode=livemode, kind="promotion_code", param=param)
        if not promo.active or (promo.expires_at is not None and promo.expires_at <= at):
            raise InvalidRequest(f"The promotion code {promo.code} is not active.", param=param)
        if promo.max_redemptions is not None and promo.times_redeemed >= promo.max_redemptions:
            raise InvalidRequest(f"The promotion code {promo.code} has been fully redeemed.", param=param)
        if promo.customer_id and (customer is None or promo.customer_id != customer.id):
            raise InvalidRequest(f"The promotion code {promo.code} is for another customer.", param=param)
        coupon = promo.coupon
    elif coupon_id:
        coupon = load(Coupon, coupon_id, livemode=livemode, kind="coupon", param=f"{param_prefix}coupon")
    else:
        raise InvalidRequest("A discount needs a coupon or a promotion_code.", param=f"{param_prefix}coupon")
    if not coupon_is_valid(coupon, at):
        raise InvalidRequest(
            f"The coupon {coupon.id} is no longer valid.", code="coupon_expired", param=f"{param_prefix}coupon"
        )
    return coupon, promo


def new_discount(
    coupon: Coupon,
    promo: PromotionCode | None,
    customer: Customer,
    *,
    start: dt.datetime,
    subscription_id: str | None = None,
    invoice_id: str | None = None,
) -> Discount:
    """An unsaved discount (bulk-create friendly); ``end`` follows the coupon's duration."""
    end = None
    if coupon.duration == Coupon.Duration.REPEATING and coupon.duration_in_months:
        end = add_interval(start, "month", coupon.duration_in_months)
    return Discount(
        id=new_id("di"),
        livemode=customer.livemode,
        created=start,
        coupon=coupon,
        promotion_code=promo,
        customer=customer,
        subscription_id=subscription_id,
        invoice_id=invoice_id,
        start=start,
        end=end,
    )


def record_redemptions(coupon: Coupon, promo: PromotionCode | None, count: int = 1) -> None:
    """Count redemptions (one UPDATE each); the caller runs inside its transaction."""
    Coupon.objects.filter(pk=coupon.pk).update(times_redeemed=F("times_redeemed") + count)
    if promo is not None:
        PromotionCode.objects.filter(pk=promo.pk).update(times_redeemed=F("times_redeemed") + count)
