"""What a price charges for a quantity: per-unit, package (transform_quantity) and tiered prices.

Follows Stripe's price semantics:
- ``per_unit``: ``unit_amount × quantity``; with ``transform_quantity`` the quantity is first
  divided by ``divide_by`` and rounded ``up`` or ``down`` (packages: "¥500 per 10 seats").
- ``tiered`` + ``graduated``: each tier charges its own units at its ``unit_amount``, plus its
  ``flat_amount`` once the tier is entered. The first tier is always entered, so its flat amount
  is charged even for a quantity of 0 (the usual "base fee including N units" set-up).
- ``tiered`` + ``volume``: every unit is charged at the tier the whole quantity falls in, plus
  that tier's ``flat_amount``; a quantity of 0 falls in the first tier.
Tiers are ``{"up_to": int | None, "unit_amount": int | None, "flat_amount": int | None}`` in
ascending order, the last one unbounded (``up_to`` None, or Stripe's ``"inf"``).
"""

from __future__ import annotations

from typing import Any

_BILLING_SCHEMES = ("per_unit", "tiered")
_TIERS_MODES = ("graduated", "volume")


def amount_for_quantity(
    *,
    billing_scheme: str,
    unit_amount: int | None,
    quantity: int,
    tiers: list[dict[str, Any]] | None,
    tiers_mode: str | None,
    transform_quantity: dict[str, Any] | None,
) -> int:
    """The amount in minor units; raises ``ValueError`` on a malformed price or quantity."""
    if quantity < 0:
        raise ValueError("quantity must not be negative")
    if billing_scheme == "per_unit":
        if unit_amount is None or unit_amount < 0:
            raise ValueError("a per_unit price needs a non-negative unit_amount")
        if tiers:
            raise ValueError("tiers are only allowed with billing_scheme=tiered")
        return unit_amount * _transformed(quantity, transform_quantity)
    if billing_scheme != "tiered":
        raise ValueError(f"unknown billing_scheme {billing_scheme!r}; expected one of {', '.join(_BILLING_SCHEMES)}")
    if transform_quantity is not None:
        raise ValueError("transform_quantity cannot be combined with tiers")
    parsed = _parse_tiers(tiers)
    if tiers_mode == "graduated":
        return _graduated(parsed, quantity)
    if tiers_mode == "volume":
        return _volume(parsed, quantity)
    raise ValueError(f"unknown tiers_mode {tiers_mode!r}; expected one of {', '.join(_TIERS_MODES)}")


def _transformed(quantity: int, transform: dict[str, Any] | None) -> int:
    if transform is None:
        return quantity
    divide_by, rounding = transform.get("divide_by"), transform.get("round")
    if not isinstance(divide_by, int) or isinstance(divide_by, bool) or divide_by < 1:
        raise ValueError("transform_quantity.divide_by must be a positive integer")
    whole, remainder = divmod(quantity, divide_by)
    if rounding == "down":
        return whole
    if rounding == "up":
        return whole + (1 if remainder else 0)
    raise ValueError("transform_quantity.round must be 'up' or 'down'")


# (upper bound or None for unbounded, unit amount, flat amount)
_Tier = tuple[int | None, int, int]


def _parse_tiers(tiers: list[dict[str, Any]] | None) -> list[_Tier]:
    if not tiers:
        raise ValueError("a tiered price needs at least one tier")
    parsed: list[_Tier] = []
    previous = 0
    for position, tier in enumerate(tiers):
        up_to = tier.get("up_to")
        unbounded = up_to is None or up_to == "inf"
        last = position == len(tiers) - 1
        if unbounded != last:
            raise ValueError("only the last tier is unbounded, and it must be (up_to None or 'inf')")
        if not unbounded:
            if not isinstance(up_to, int) or isinstance(up_to, bool) or up_to <= previous:
                raise ValueError("tier up_to values must be integers in strictly ascending order above 0")
            previous = up_to
        unit, flat = tier.get("unit_amount"), tier.get("flat_amount")
        if unit is None and flat is None:
            raise ValueError("each tier needs a unit_amount or a flat_amount")
        for value in (unit, flat):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise ValueError("tier amounts must be non-negative integers")
        parsed.append((None if unbounded else up_to, unit or 0, flat or 0))
    return parsed


def _graduated(tiers: list[_Tier], quantity: int) -> int:
    amount = 0
    lower = 0
    for position, (up_to, unit, flat) in enumerate(tiers):
        upper = quantity if up_to is None else min(quantity, up_to)
        units = max(0, upper - lower)
        if units or position == 0:
            amount += units * unit + flat
        if up_to is None or quantity <= up_to:
            break
        lower = up_to
    return amount


def _volume(tiers: list[_Tier], quantity: int) -> int:
    # The last tier is unbounded, so some tier always holds the quantity.
    _, unit, flat = next(tier for tier in tiers if tier[0] is None or quantity <= tier[0])
    return quantity * unit + flat
