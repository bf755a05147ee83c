from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from seikyu.core.pricing import amount_for_quantity

amounts = st.none() | st.integers(min_value=0, max_value=10_000)


@st.composite
def tier_lists(draw: st.DrawFn) -> list[dict[str, Any]]:
    bounds = sorted(draw(st.sets(st.integers(min_value=1, max_value=60), max_size=4)))
    tiers = []
    for up_to in [*bounds, None]:
        unit = draw(amounts)
        flat = draw(amounts) if unit is not None else draw(st.integers(min_value=0, max_value=10_000))
        tiers.append({"up_to": up_to, "unit_amount": unit, "flat_amount": flat})
    return tiers


def tiered(tiers: list[dict[str, Any]], mode: str, quantity: int) -> int:
    return amount_for_quantity(
        billing_scheme="tiered",
        unit_amount=None,
        quantity=quantity,
        tiers=tiers,
        tiers_mode=mode,
        transform_quantity=None,
    )


def tier_of(tiers: list[dict[str, Any]], unit: int) -> int:
    """Index of the tier holding the unit-th unit (units count from 1; unit 0 sits in the first tier)."""
    return next(i for i, tier in enumerate(tiers) if tier["up_to"] is None or unit <= tier["up_to"])


@settings(max_examples=200, deadline=None)
@given(tier_lists(), st.integers(min_value=0, max_value=100), st.integers(min_value=0, max_value=100))
def test_tiered_amounts_are_monotone_in_quantity(tiers: list[dict[str, Any]], a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert 0 <= tiered(tiers, "graduated", low) <= tiered(tiers, "graduated", high)
    # Volume pricing may drop at a tier boundary (that is its point), never inside a tier.
    if tier_of(tiers, low) == tier_of(tiers, high):
        assert 0 <= tiered(tiers, "volume", low) <= tiered(tiers, "volume", high)


@settings(max_examples=200, deadline=None)
@given(tier_lists(), st.integers(min_value=0, max_value=100))
def test_graduated_charges_each_unit_at_its_own_tier(tiers: list[dict[str, Any]], quantity: int) -> None:
    units = sum(tiers[tier_of(tiers, unit)]["unit_amount"] or 0 for unit in range(1, quantity + 1))
    entered = {0} | {tier_of(tiers, unit) for unit in range(1, quantity + 1)}
    flats = sum(tiers[i]["flat_amount"] or 0 for i in entered)
    assert tiered(tiers, "graduated", quantity) == units + flats


@settings(max_examples=200, deadline=None)
@given(tier_lists(), st.integers(min_value=0, max_value=100))
def test_volume_charges_every_unit_at_the_final_tier(tiers: list[dict[str, Any]], quantity: int) -> None:
    tier = tiers[tier_of(tiers, quantity)]
    assert tiered(tiers, "volume", quantity) == quantity * (tier["unit_amount"] or 0) + (tier["flat_amount"] or 0)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=10**4),
    st.integers(min_value=1, max_value=100),
    st.sampled_from(["up", "down"]),
)
def test_transform_quantity_bills_whole_packages(unit: int, quantity: int, divide_by: int, rounding: str) -> None:
    amount = amount_for_quantity(
        billing_scheme="per_unit",
        unit_amount=unit,
        quantity=quantity,
        tiers=None,
        tiers_mode=None,
        transform_quantity={"divide_by": divide_by, "round": rounding},
    )
    packages = amount // unit if unit else None
    if packages is not None:
        assert amount == packages * unit
        # Whole packages covering the quantity (up) or fitting inside it (down).
        assert packages * divide_by >= quantity if rounding == "up" else packages * divide_by <= quantity
        assert abs(packages * divide_by - quantity) < divide_by
