"""Mobile and landline numbers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from citybase.errors import ValidationFailed
from citybase.identifiers import (
    generate_mobile,
    generate_mobile_array,
    is_valid_landline,
    is_valid_mobile,
    normalise_landline,
    normalise_mobile,
    parse_landline,
)
from tests.identifiers.strategies import anything, mobiles


@pytest.mark.parametrize(
    "text",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+86-13812345678",
        "8613812345678",
        "0086 13812345678",
        "(+86)13812345678",
        "１３８１２３４５６７８",
    ],
)
def test_mobile_written_many_ways(text: str) -> None:
    assert normalise_mobile(text) == "13812345678"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1381234567", "has 11 digits, got 10"),
        ("12812345678", "starts with 13-19"),
        ("1381234567a", "only digits"),
        ("", "has 11 digits, got 0"),
    ],
)
def test_mobile_problems_are_named(text: str, reason: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        normalise_mobile(text, field="contact_mobile")
    assert reason in caught.value.message and caught.value.field == "contact_mobile"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("025-83123456", "025-83123456"),
        ("(025) 8312 3456", "025-83123456"),
        ("02583123456", "025-83123456"),
        ("010-65123456", "010-65123456"),
        ("0512-6512345", "0512-6512345"),
        ("0512-65123456", "0512-65123456"),
        ("+86 25 8312 3456", "025-83123456"),
        ("+86 (0)25 8312 3456", "025-83123456"),
        ("025-83123456-801", "025-83123456转801"),
        ("025-83123456 转 801", "025-83123456转801"),
        ("025-83123456 ext. 801", "025-83123456转801"),
    ],
)
def test_landline_written_many_ways(text: str, expected: str) -> None:
    assert normalise_landline(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("83123456", "needs its area code"),
        ("025-8312345", "have 8 digits, got 7"),
        ("0512-651234", "have 7 or 8 digits, got 6"),
        ("0000-6512345", "not a mainland area code"),
        ("025-03123456", "cannot start with 0"),
        ("025-8312345a", "only digits"),
    ],
)
def test_landline_problems_are_named(text: str, reason: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_landline(text)
    assert reason in caught.value.message and caught.value.field == "landline"


def test_a_mobile_is_not_a_landline() -> None:
    assert not is_valid_landline("13812345678") and not is_valid_mobile("025-83123456")


def test_generated_mobiles_are_valid() -> None:
    rng = np.random.default_rng(11)
    assert all(is_valid_mobile(m) for m in generate_mobile_array(rng, 2000))
    assert is_valid_mobile(generate_mobile(rng))


@given(
    mobiles(), st.sampled_from(["", "+86", "86", "0086", "+86 "]), st.sampled_from(["", " ", "-"])
)
def test_formatted_mobiles_normalise_to_the_same_number(number: str, prefix: str, sep: str) -> None:
    text = prefix + number[:3] + sep + number[3:7] + sep + number[7:]
    assert normalise_mobile(text) == number


@given(st.text(alphabet="0123456789+-() 转", max_size=20))
def test_normalisation_is_idempotent(text: str) -> None:
    for normalise in (normalise_mobile, normalise_landline):
        try:
            once = normalise(text)
        except ValidationFailed:
            continue
        assert normalise(once) == once


@given(anything)
def test_parsers_raise_only_validation_failed(value: object) -> None:
    assert isinstance(is_valid_mobile(value), bool)
    assert isinstance(is_valid_landline(value), bool)
