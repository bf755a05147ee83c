from __future__ import annotations

from django.db import models

from seikyu.db.fields import JSONField

from .base import ModeScopedId, WireObject, list_index, mode_scoped


class Product(ModeScopedId):
    name = models.CharField(max_length=250)
    active = models.BooleanField(default=True)
    description = models.TextField(null=True, blank=True)
    default_price = models.ForeignKey("Price", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    images = JSONField(default=list, blank=True)
    marketing_features = JSONField(default=list, blank=True)
    statement_descriptor = models.CharField(max_length=22, null=True, blank=True)
    tax_code = models.CharField(max_length=64, null=True, blank=True)
    unit_label = models.CharField(max_length=12, null=True, blank=True)
    url = models.URLField(max_length=2000, null=True, blank=True)
    updated = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [list_index("product")]


class Price(WireObject):
    class Type(models.TextChoices):
        ONE_TIME = "one_time"
        RECURRING = "recurring"

    class BillingScheme(models.TextChoices):
        PER_UNIT = "per_unit"
        TIERED = "tiered"

    class TiersMode(models.TextChoices):
        GRADUATED = "graduated"
        VOLUME = "volume"

    class Interval(models.TextChoices):
        DAY = "day"
        WEEK = "week"
        MONTH = "month"
        YEAR = "year"

    class TaxBehavior(models.TextChoices):
        EXCLUSIVE = "exclusive"
        INCLUSIVE = "inclusive"
        UNSPECIFIED = "unspecified"

    product_id = models.CharField(max_length=64)
    product = mode_scoped("Product", related_name="prices")
    active = models.BooleanField(default=True)
    currency = models.CharField(max_length=3)
    nickname = models.CharField(max_length=250, null=True, blank=True)
    type = models.CharField(max_length=10, choices=Type.choices)
    # Amount per unit in the currency's minor unit (yen for JPY, cents for USD).
    unit_amount = models.BigIntegerField(null=True, blank=True)
    billing_scheme = models.CharField(max_length=10, choices=BillingScheme.choices, default="per_unit")
    tiers_mode = models.CharField(max_length=10, choices=TiersMode.choices, null=True, blank=True)
    # [{"up_to": int | None (None = inf), "unit_amount": int | None, "flat_amount": int | None}]
    tiers = JSONField(null=True, blank=True)
    # {"divide_by": int, "round": "up" | "down"} or None
    transform_quantity = JSONField(null=True, blank=True)
    recurring_interval = models.CharField(max_length=5, choices=Interval.choices, null=True, blank=True)
    recurring_interval_count = models.PositiveIntegerField(null=True, blank=True)
    recurring_usage_type = models.CharField(max_length=10, null=True, blank=True)
    recurring_trial_period_days = models.PositiveIntegerField(null=True, blank=True)
    tax_behavior = models.CharField(max_length=12, choices=TaxBehavior.choices, default="unspecified")
    lookup_key = models.CharField(max_length=200, null=True, blank=True)

    class Meta:
        indexes = [
            list_index("price"),
            models.Index(fields=["livemode", "lookup_key"], name="price_lookup_idx"),
            models.Index(fields=["livemode", "product_id"], name="price_product_idx"),
        ]


class TaxRate(WireObject):
    display_name = models.CharField(max_length=50)
    description = models.CharField(max_length=500, null=True, blank=True)
    # Exact percentage, e.g. Decimal("10") or Decimal("8"). Never a float.
    percentage = models.DecimalField(max_digits=7, decimal_places=4)
    inclusive = models.BooleanField()
    active = models.BooleanField(default=True)
    country = models.CharField(max_length=2, null=True, blank=True)
    state = models.CharField(max_length=10, null=True, blank=True)
    jurisdiction = models.CharField(max_length=50, null=True, blank=True)
    tax_type = models.CharField(max_length=30, null=True, blank=True)

    class Meta:
        indexes = [list_index("taxrate")]


class Coupon(ModeScopedId):
    """Coupons keep Stripe's free-form ids (a caller may choose ``SPRING25``)."""

    class Duration(models.TextChoices):
        ONCE = "once"
        REPEATING = "repeating"
        FOREVER = "forever"

    name = models.CharField(max_length=40, null=True, blank=True)
    percent_off = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    amount_off = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, null=True, blank=True)
    duration = models.CharField(max_length=10, choices=Duration.choices, default="once")
    duration_in_months = models.PositiveIntegerField(null=True, blank=True)
    max_redemptions = models.PositiveIntegerField(null=True, blank=True)
    redeem_by = models.DateTimeField(null=True, blank=True)
    times_redeemed = models.PositiveIntegerField(default=0)
    # {"products": [...]} or None
    applies_to = JSONField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [list_index("coupon")]


class PromotionCode(WireObject):
    code = models.CharField(max_length=500)
    coupon_id = models.CharField(max_length=64)
    coupon = mode_scoped("Coupon", related_name="promotion_codes")
    active = models.BooleanField(default=True)
    customer = models.ForeignKey(
        "Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="promotion_codes"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    max_redemptions = models.PositiveIntegerField(null=True, blank=True)
    times_redeemed = models.PositiveIntegerField(default=0)
    # {"first_time_transaction": bool, "minimum_amount": int|None, "minimum_amount_currency": str|None}
    restrictions = JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            list_index("promotioncode"),
            models.Index(fields=["livemode", "code"], name="promo_code_idx"),
            models.Index(fields=["livemode", "coupon_id"], name="promo_coupon_idx"),
        ]
