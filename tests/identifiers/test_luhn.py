"""Luhn mod 10."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citybase.errors import ValidationFailed
from citybase.identifiers import luhn_check_digit, luhn_valid


@pytest.mark.parametrize(
    "number", ["79927398713", "4111 1111 1111 1111", "6222-0212-3456-7890-128", "0000000000"]
)
def test_known_valid_numbers(number: str) -> None:
    assert luhn_valid(number)


def test_known_check_digit() -> None:
    assert luhn_check_digit("7992739871") == "3"


@pytest.mark.parametrize("number", ["79927398710", "4111111111111112", "", "1", "12a4", None])
def test_invalid_numbers(number: object) -> None:
    assert not luhn_valid(number)


def test_check_digit_of_non_digits_names_the_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        luhn_check_digit("12a", field="card_number")
    assert caught.value.field == "card_number"


@given(st.text(alphabet="0123456789", min_size=1, max_size=30))
def test_appended_check_digit_validates(payload: str) -> None:
    assert luhn_valid(payload + luhn_check_digit(payload))


@given(
    st.text(alphabet="0123456789", min_size=1, max_size=30),
    st.data(),
)
def test_single_digit_errors_are_detected(payload: str, data: st.DataObject) -> None:
    number = payload + luhn_check_digit(payload)
    pos = data.draw(st.integers(min_value=0, max_value=len(number) - 1))
    new = data.draw(st.sampled_from("0123456789").filter(lambda d: d != number[pos]))
    assert not luhn_valid(number[:pos] + new + number[pos + 1 :])
