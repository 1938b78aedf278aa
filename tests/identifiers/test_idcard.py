"""GB 11643 identity numbers: published examples, precise errors, properties."""

from __future__ import annotations

import contextlib
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citybase.errors import ValidationFailed
from citybase.identifiers import (
    generate_id_number,
    id_number_check_digit,
    id_number_check_digit_array,
    is_valid_id_number,
    is_valid_id_number_array,
    normalise_id_number,
    upgrade_id_number,
    validate_id_number,
)
from tests.identifiers.strategies import anything, id_numbers

# The worked example printed in GB 11643-1999 itself (a woman born 1949-12-31 in 朝阳区).
STANDARD_EXAMPLE = "11010519491231002X"


def test_standard_example_decodes() -> None:
    info = validate_id_number(STANDARD_EXAMPLE)
    assert info.area.name == "朝阳区" and info.area.province == "北京市"
    assert info.birth_date == date(1949, 12, 31)
    assert info.sex == "女" and info.sequence == 2 and not info.legacy


@pytest.mark.parametrize(
    "text", ["11010519491231002x", " 110105 19491231 002X ", "１１０１０５１９４９１２３１００２Ｘ"]
)
def test_lower_case_x_spaces_and_full_width_are_accepted(text: str) -> None:
    assert validate_id_number(text).number == STANDARD_EXAMPLE


def test_legacy_15_digit_number_upgrades_to_the_18_digit_one() -> None:
    info = validate_id_number("110105491231002")
    assert info.legacy and info.birth_date == date(1949, 12, 31)
    assert upgrade_id_number("110105491231002") == STANDARD_EXAMPLE


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1101051949123100", "must have 18 characters (or 15"),
        ("11010519491231O02X", "first 17 characters must be digits"),
        ("11010519491231002Y", "last character must be a digit or X"),
        ("99010519491231002X", "area code 990105"),
        ("110105194902300026", "not a real birth date (1949-02-30)"),
        ("110105299912310021", "birth date 2999-12-31 is impossible"),
        ("110105194912310021", "check character should be 'X', got '1'"),
        ("110105491331002", "not a real birth date"),
    ],
)
def test_each_problem_is_named(text: str, reason: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_id_number(text, field="applicant_id")
    assert reason in caught.value.message
    assert caught.value.field == "applicant_id"
    assert caught.value.message.startswith("applicant_id:")


def test_historic_area_codes_still_validate() -> None:
    # 白下区 was merged into 秦淮区 in 2013; its residents keep their numbers for life.
    number = generate_id_number(np.random.default_rng(1), "320103", date(1970, 1, 1))
    assert validate_id_number(number).area.status == "historic"


def test_generation_honours_sex_and_rejects_contradictions() -> None:
    rng = np.random.default_rng(3)
    assert (
        validate_id_number(generate_id_number(rng, "320102", date(1990, 1, 1), sex="男")).sex
        == "男"
    )
    assert (
        validate_id_number(generate_id_number(rng, "320102", date(1990, 1, 1), sex="女")).sex
        == "女"
    )
    with pytest.raises(ValidationFailed, match="odd"):
        generate_id_number(rng, "320102", date(1990, 1, 1), sequence=1, sex="女")
    with pytest.raises(ValidationFailed, match="area_code"):
        generate_id_number(rng, "999999", date(1990, 1, 1))


@given(id_numbers())
def test_every_generated_number_validates(number: str) -> None:
    assert is_valid_id_number(number)
    assert validate_id_number(number).number18 == number


@given(id_numbers(), st.integers(min_value=0, max_value=17), st.sampled_from("0123456789X"))
def test_any_single_character_change_is_detected(number: str, pos: int, new: str) -> None:
    if number[pos] == new:
        return
    assert not is_valid_id_number(number[:pos] + new + number[pos + 1 :])


@given(id_numbers(), st.integers(min_value=0, max_value=16))
def test_adjacent_transpositions_are_detected(number: str, pos: int) -> None:
    swapped = number[:pos] + number[pos + 1] + number[pos] + number[pos + 2 :]
    if swapped != number:
        assert not is_valid_id_number(swapped)


@given(st.text())
def test_normalisation_is_idempotent(text: str) -> None:
    once = normalise_id_number(text)
    assert normalise_id_number(once) == once


@given(anything)
def test_parser_raises_only_validation_failed(value: object) -> None:
    with contextlib.suppress(ValidationFailed):
        validate_id_number(value)  # type: ignore[arg-type]
    assert isinstance(is_valid_id_number(value), bool)


@settings(max_examples=60)
@given(
    st.lists(
        st.one_of(
            id_numbers(),
            id_numbers().map(lambda n: n[:6] + n[8:17]),  # 15-digit legacy form
            st.text(alphabet="0123456789Xx", min_size=14, max_size=19),
            st.text(max_size=20),
        ),
        max_size=30,
    )
)
def test_vectorised_check_agrees_with_scalar(values: list[str]) -> None:
    expected = [
        is_valid_id_number(v) and v == v.strip() and v.isascii() and " " not in v for v in values
    ]
    got = is_valid_id_number_array(np.array(values, dtype=np.str_))
    assert got.tolist() == expected


def test_vectorised_check_digits_match_scalar() -> None:
    rng = np.random.default_rng(5)
    bodies = ["".join(map(str, rng.integers(0, 10, size=17))) for _ in range(500)]
    got = id_number_check_digit_array(np.array(bodies))
    assert got.tolist() == [id_number_check_digit(b) for b in bodies]


def test_vectorised_check_handles_empty_input() -> None:
    assert is_valid_id_number_array(np.array([], dtype=np.str_)).shape == (0,)
