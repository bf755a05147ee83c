"""The qualified-invoice registration number: T + a 13-digit 法人番号 whose first digit checks
the other twelve (9 − Σ Pn×Qn mod 9, Pn counted from the right, Qn = 1 odd / 2 even)."""

from __future__ import annotations

import pytest

from seikyu.account.checks import registration_check_digit, registration_number
from seikyu.core.errors import InvalidRequest


@pytest.mark.parametrize(
    ("number", "worked"),
    [
        # 国税庁 (National Tax Agency): base 000012050002; digits from the right 2,0,0,0,5,0,2,1,0…
        # with weights 1,2,1,2…: 2+5+2+2 = 11; 11 mod 9 = 2; 9 − 2 = 7.
        ("7000012050002", 11),
        # A base of all zeros sums to 0: the check digit is 9.
        ("9000000000000", 0),
        # base 123456789012: from the right 2·1+1·2+0·1+9·2+8·1+7·2+6·1+5·2+4·1+3·2+2·1+1·2 = 74;
        # 74 mod 9 = 2; 9 − 2 = 7.
        ("7123456789012", 74),
        # base 180301018771: 1+14+7+16+1+0+1+0+3+0+8+2 = 53; 53 mod 9 = 8; 9 − 8 = 1.
        ("1180301018771", 53),
        # A sum that is a multiple of 9 gives 9 (never 0): base 000000000009 → 9·1 = 9 → 9 − 0 = 9.
        ("9000000000009", 9),
    ],
)
def test_check_digits_computed_by_hand(number, worked):
    base = number[1:]
    total = sum(int(d) * (1 if n % 2 else 2) for n, d in enumerate(reversed(base), start=1))
    assert total == worked
    assert registration_check_digit(base) == int(number[0])
    assert registration_number(f"T{number}", "p") == f"T{number}"


@pytest.mark.parametrize(
    "written",
    ["t7000012050002", "T 7000 0120 50002", "T7-0000-1205-0002", "Ｔ７００００１２０５０００２"],
)
def test_common_ways_of_writing_it_are_normalised(written):
    assert registration_number(written, "p") == "T7000012050002"


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ("T7000012050003", "check digit"),  # last digit mistyped
        ("T7000012500002", "check digit"),  # two digits swapped
        ("T8000012050002", "check digit"),  # wrong check digit
        ("7000012050002", "T followed by 13 digits"),  # the T is missing
        ("T700001205000", "T followed by 13 digits"),  # 12 digits
        ("T70000120500021", "T followed by 13 digits"),
        ("TABCDEFGHIJKLM", "T followed by 13 digits"),
    ],
)
def test_wrong_numbers_are_refused_with_the_reason(written, why):
    with pytest.raises(InvalidRequest, match=why) as refused:
        registration_number(written, "business[registration_number]")
    assert refused.value.param == "business[registration_number]"


def test_every_single_digit_typo_is_caught():
    # Changing one base digit by d changes the sum by w·d (w = 1 or 2, 0 < |d| ≤ 9), a multiple
    # of 9 only when |d| = 9: a 0 ↔ 9 substitution is the one single-digit typo that slips through.
    valid = "7000012050002"
    slipped = []
    for position in range(1, 13):
        for digit in "0123456789":
            typo = valid[:position] + digit + valid[position + 1 :]
            if typo != valid and registration_check_digit(typo[1:]) == int(typo[0]):
                slipped.append(typo)
    assert all({a, b} == {"0", "9"} for typo in slipped for a, b in zip(typo, valid, strict=True) if a != b)
