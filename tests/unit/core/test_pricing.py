from typing import Any

import pytest

from seikyu.core.pricing import amount_for_quantity

# ¥1,000 base fee covering up to 5 seats at ¥500, seats 6–10 at ¥400, beyond at ¥300 plus ¥200.
TIERS: list[dict[str, Any]] = [
    {"up_to": 5, "unit_amount": 500, "flat_amount": 1000},
    {"up_to": 10, "unit_amount": 400, "flat_amount": None},
    {"up_to": None, "unit_amount": 300, "flat_amount": 200},
]


def tiered(mode: str, quantity: int, tiers: list[dict[str, Any]] | None = TIERS) -> int:
    return amount_for_quantity(
        billing_scheme="tiered",
        unit_amount=None,
        quantity=quantity,
        tiers=tiers,
        tiers_mode=mode,
        transform_quantity=None,
    )


def per_unit(unit_amount: int | None, quantity: int, transform: dict[str, Any] | None = None) -> int:
    return amount_for_quantity(
        billing_scheme="per_unit",
        unit_amount=unit_amount,
        quantity=quantity,
        tiers=None,
        tiers_mode=None,
        transform_quantity=transform,
    )


def test_per_unit() -> None:
    assert per_unit(5500, 1) == 5500
    assert per_unit(1234, 3) == 3702
    assert per_unit(5500, 0) == 0


def test_transform_quantity_packages() -> None:
    # ¥500 per pack of 10.
    assert per_unit(500, 21, {"divide_by": 10, "round": "up"}) == 1500
    assert per_unit(500, 21, {"divide_by": 10, "round": "down"}) == 1000
    assert per_unit(500, 20, {"divide_by": 10, "round": "up"}) == 1000
    assert per_unit(500, 0, {"divide_by": 10, "round": "up"}) == 0


@pytest.mark.parametrize(
    ("quantity", "amount"),
    [
        (0, 1000),  # the first tier's flat fee is always charged
        (3, 1000 + 3 * 500),
        (5, 1000 + 5 * 500),
        (7, 1000 + 5 * 500 + 2 * 400),
        (10, 1000 + 5 * 500 + 5 * 400),
        (12, 1000 + 5 * 500 + 5 * 400 + 200 + 2 * 300),
    ],
)
def test_graduated(quantity: int, amount: int) -> None:
    assert tiered("graduated", quantity) == amount


@pytest.mark.parametrize(
    ("quantity", "amount"),
    [(0, 1000), (3, 1000 + 3 * 500), (5, 1000 + 5 * 500), (6, 6 * 400), (10, 10 * 400), (12, 200 + 12 * 300)],
)
def test_volume(quantity: int, amount: int) -> None:
    assert tiered("volume", quantity) == amount


def test_tiers_accept_stripes_inf_marker() -> None:
    tiers: list[dict[str, Any]] = [{"up_to": 2, "unit_amount": 100}, {"up_to": "inf", "unit_amount": 50}]
    assert tiered("graduated", 4, tiers) == 300
    assert tiered("volume", 4, tiers) == 200


@pytest.mark.parametrize(
    "tiers",
    [
        None,
        [],
        [{"up_to": 5, "unit_amount": 100}],  # last tier bounded
        [{"up_to": None, "unit_amount": 100}, {"up_to": None, "unit_amount": 50}],  # unbounded in the middle
        [{"up_to": 5, "unit_amount": 100}, {"up_to": 5, "unit_amount": 50}, {"up_to": None, "unit_amount": 1}],
        [{"up_to": 0, "unit_amount": 100}, {"up_to": None, "unit_amount": 50}],
        [{"up_to": 5}, {"up_to": None, "unit_amount": 50}],  # no amount at all
        [{"up_to": 5, "unit_amount": -1}, {"up_to": None, "unit_amount": 50}],
        [{"up_to": 5.5, "unit_amount": 1}, {"up_to": None, "unit_amount": 50}],
    ],
)
def test_malformed_tiers_are_refused(tiers: list[dict[str, Any]] | None) -> None:
    with pytest.raises(ValueError):
        tiered("graduated", 3, tiers)


def test_malformed_prices_are_refused() -> None:
    with pytest.raises(ValueError):
        per_unit(None, 1)
    with pytest.raises(ValueError):
        per_unit(100, -1)
    with pytest.raises(ValueError):
        per_unit(100, 1, {"divide_by": 0, "round": "up"})
    with pytest.raises(ValueError):
        per_unit(100, 1, {"divide_by": 10, "round": "nearest"})
    with pytest.raises(ValueError):
        tiered("stairs", 1)
    with pytest.raises(ValueError):
        amount_for_quantity(
            billing_scheme="tiered",
            unit_amount=None,
            quantity=1,
            tiers=TIERS,
            tiers_mode="volume",
            transform_quantity={"divide_by": 2, "round": "up"},
        )
    with pytest.raises(ValueError):
        amount_for_quantity(
            billing_scheme="package", unit_amount=1, quantity=1, tiers=None, tiers_mode=None, transform_quantity=None
        )
