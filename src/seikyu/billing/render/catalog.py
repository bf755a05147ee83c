"""Wire shapes of products, prices, tax rates, coupons and promotion codes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from seikyu.core.clock import real_now, to_unix

from ..models import Coupon, Price, Product, PromotionCode, TaxRate


def deleted_stub(object_id: str, object_name: str) -> dict[str, Any]:
    return {"id": object_id, "object": object_name, "deleted": True}


def percentage_number(value: Decimal | None) -> int | float | None:
    """A percentage as a JSON number, as the wire has it (``10``, ``8.5``). Percentages are
    rates, not amounts: the stored ``Decimal`` stays exact for all tax and discount arithmetic."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def render_product(product: Product) -> dict[str, Any]:
    if product.deleted_at is not None:
        return deleted_stub(product.id, "product")
    return {
        "id": product.id,
        "object": "product",
        "active": product.active,
        "created": to_unix(product.created),
        "default_price": product.default_price_id,
        "description": product.description,
        "images": list(product.images),
        "livemode": product.livemode,
        "marketing_features": list(product.marketing_features),
        "metadata": dict(product.metadata),
        "name": product.name,
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": product.statement_descriptor,
        "tax_code": product.tax_code,
        "type": "service",
        "unit_label": product.unit_label,
        "updated": to_unix(product.updated),
        "url": product.url,
    }


def _decimal_string(amount: int | None) -> str | None:
    return None if amount is None else str(amount)


def render_tiers(tiers: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if tiers is None:
        return None
    return [
        {
            "flat_amount": tier.get("flat_amount"),
            "flat_amount_decimal": _decimal_string(tier.get("flat_amount")),
            "unit_amount": tier.get("unit_amount"),
            "unit_amount_decimal": _decimal_string(tier.get("unit_amount")),
            "up_to": tier.get("up_to"),
        }
        for tier in tiers
    ]


def render_price(price: Price) -> dict[str, Any]:
    recurring = None
    if price.type == Price.Type.RECURRING:
        recurring = {
            "interval": price.recurring_interval,
            "interval_count": price.recurring_interval_count,
            "meter": None,
            "trial_period_days": price.recurring_trial_period_days,
            "usage_type": price.recurring_usage_type,
        }
    return {
        "id": price.id,
        "object": "price",
        "active": price.active,
        "billing_scheme": price.billing_scheme,
        "created": to_unix(price.created),
        "currency": price.currency,
        "custom_unit_amount": None,
        "livemode": price.livemode,
        "lookup_key": price.lookup_key,
        "metadata": dict(price.metadata),
        "nickname": price.nickname,
        "product": price.product_id,
        "recurring": recurring,
        "tax_behavior": price.tax_behavior,
        "tiers": render_tiers(price.tiers),
        "tiers_mode": price.tiers_mode,
        "transform_quantity": price.transform_quantity,
        "type": price.type,
        "unit_amount": price.unit_amount,
        "unit_amount_decimal": _decimal_string(price.unit_amount),
    }


def render_tax_rate(rate: TaxRate) -> dict[str, Any]:
    return {
        "id": rate.id,
        "object": "tax_rate",
        "active": rate.active,
        "country": rate.country,
        "created": to_unix(rate.created),
        "description": rate.description,
        "display_name": rate.display_name,
        "effective_percentage": percentage_number(rate.percentage),
        "flat_amount": None,
        "inclusive": rate.inclusive,
        "jurisdiction": rate.jurisdiction,
        "jurisdiction_level": None,
        "livemode": rate.livemode,
        "metadata": dict(rate.metadata),
        "percentage": percentage_number(rate.percentage),
        "rate_type": "percentage",
        "state": rate.state,
        "tax_type": rate.tax_type,
    }


class TaxRates(dict[str, TaxRate]):
    """Tax rates by id for a batch of renderings, each rendered once however many invoices, lines
    and subscription items of the batch name it (the bill run names the same few rates thousands
    of times). Made afresh for each batch: the renderings are shared, not copied."""

    def __init__(self, rates: Iterable[TaxRate] = ()) -> None:
        super().__init__((rate.id, rate) for rate in rates)
        self._wire: dict[str, dict[str, Any]] = {}

    def add(self, ids: Iterable[str]) -> None:
        """Read the rates among ``ids`` not yet held (one query, none when all are)."""
        missing = set(ids) - self.keys()
        if missing:
            self.update(TaxRate.objects.in_bulk(missing))

    def render(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """The named rates in their wire shape, in the given order; unknown ids are left out."""
        wire = []
        for rate_id in ids:
            rendered = self._wire.get(rate_id)
            if rendered is None:
                rate = self.get(rate_id)
                if rate is None:
                    continue
                rendered = self._wire[rate_id] = render_tax_rate(rate)
            wire.append(rendered)
        return wire


def render_tax_rates(ids: Sequence[str], tax_rates: Mapping[str, TaxRate] | None) -> list[dict[str, Any]]:
    """``ids`` rendered from ``tax_rates`` (read from the database when None)."""
    if not ids:
        return []
    if not isinstance(tax_rates, TaxRates):
        tax_rates = TaxRates(TaxRate.objects.filter(id__in=ids) if tax_rates is None else tax_rates.values())
    return tax_rates.render(ids)


def coupon_is_valid(coupon: Coupon, at: dt.datetime | None = None) -> bool:
    """Whether the coupon can still be applied to new customers, subscriptions or invoices."""
    at = at or real_now()
    if coupon.deleted_at is not None:
        return False
    if coupon.redeem_by is not None and coupon.redeem_by <= at:
        return False
    return coupon.max_redemptions is None or coupon.times_redeemed < coupon.max_redemptions


def render_coupon(coupon: Coupon) -> dict[str, Any]:
    if coupon.deleted_at is not None:
        return deleted_stub(coupon.id, "coupon")
    body: dict[str, Any] = {
        "id": coupon.id,
        "object": "coupon",
        "amount_off": coupon.amount_off,
        "created": to_unix(coupon.created),
        "currency": coupon.currency,
        "duration": coupon.duration,
        "duration_in_months": coupon.duration_in_months,
        "livemode": coupon.livemode,
        "max_redemptions": coupon.max_redemptions,
        "metadata": dict(coupon.metadata),
        "name": coupon.name,
        "percent_off": percentage_number(coupon.percent_off),
        "redeem_by": to_unix(coupon.redeem_by),
        "times_redeemed": coupon.times_redeemed,
        "valid": coupon_is_valid(coupon),
    }
    if coupon.applies_to is not None:
        body["applies_to"] = coupon.applies_to
    return body


def render_promotion_code(code: PromotionCode) -> dict[str, Any]:
    restrictions = code.restrictions or {}
    return {
        "id": code.id,
        "object": "promotion_code",
        "active": code.active,
        "code": code.code,
        "created": to_unix(code.created),
        "customer": code.customer_id,
        "expires_at": to_unix(code.expires_at),
        "livemode": code.livemode,
        "max_redemptions": code.max_redemptions,
        "metadata": dict(code.metadata),
        "promotion": {"coupon": code.coupon_id, "type": "coupon"},
        "restrictions": {
            "currency_options": restrictions.get("currency_options", {}),
            "first_time_transaction": restrictions.get("first_time_transaction", False),
            "minimum_amount": restrictions.get("minimum_amount"),
            "minimum_amount_currency": restrictions.get("minimum_amount_currency"),
        },
        "times_redeemed": code.times_redeemed,
    }
