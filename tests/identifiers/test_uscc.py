"""GB 32100 unified social credit codes, and where python-stdnum gets them wrong."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from citybase.errors import ValidationFailed
from citybase.identifiers import (
    generate_uscc,
    is_valid_uscc,
    is_valid_uscc_array,
    normalise_uscc,
    uscc_check_char,
    validate_uscc,
)
from citybase.identifiers.uscc import USCC_ALPHABET
from tests.identifiers.strategies import anything, usccs

# Codes printed on published business licences of well-known companies and a state organ.
PUBLISHED = {
    "91440300708461136T": ("工商", "企业"),  # 深圳市腾讯计算机系统有限公司
    "914403001922038216": ("工商", "企业"),  # 华为技术有限公司
    "91110000600037341L": ("工商", "企业"),  # python-stdnum's own doctest example
    "11100000000013127D": ("机构编制", "机关"),
}


@pytest.mark.parametrize(("code", "kind"), PUBLISHED.items())
def test_published_codes_validate(code: str, kind: tuple[str, str]) -> None:
    info = validate_uscc(code)
    assert (info.authority.name, info.category_name) == kind
    assert info.organisation_code_valid


def test_stdnum_wrongly_rejects_codes_of_letter_authorities() -> None:
    # A village collective (N 农业, 2 村级集体经济组织) registered in 南京市玄武区.
    first17 = "N2320102" + "12345678" + "5"
    code = first17 + uscc_check_char(first17)
    # stdnum computes the same check character, so the code is right by GB 32100 ...
    assert stdnum_uscc.calc_check_digit(first17) == code[-1]
    # ... yet rejects it because it insists positions 1-8 are digits.
    assert not stdnum_uscc.is_valid(code)
    info = validate_uscc(code)
    assert info.authority.name == "农业" and info.category_name == "村级集体经济组织"
    for kind in ("Y1", "A1", "N1"):
        generated = generate_uscc(np.random.default_rng(0), "320102", kind)
        assert is_valid_uscc(generated) and not stdnum_uscc.is_valid(generated)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("9144030070846113", "must have 18 characters, got 16"),
        ("91440300708461136I", "'I' is not allowed"),
        ("B1440300708461136T", "'B' is not a registration authority code"),
        ("9144030A708461136T", "positions 3-8 must be a 6-digit division code"),
        ("91440300708461136U", "check character should be 'T', got 'U'"),
    ],
)
def test_each_problem_is_named(text: str, reason: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_uscc(text, field="credit_code")
    assert reason in caught.value.message and caught.value.field == "credit_code"


def test_unknown_category_is_reported_not_rejected() -> None:
    first17 = "9A440300708461136"
    info = validate_uscc(first17 + uscc_check_char(first17))
    assert info.category_name is None


def test_spaces_hyphens_and_lower_case_are_normalised() -> None:
    assert validate_uscc("9144 0300-7084 6113 6t").code == "91440300708461136T"


def test_generate_rejects_undefined_kinds() -> None:
    with pytest.raises(ValidationFailed, match="kind"):
        generate_uscc(np.random.default_rng(0), "320102", "94")
    with pytest.raises(ValidationFailed, match="area_code"):
        generate_uscc(np.random.default_rng(0), "3201", "91")


@given(usccs())
def test_every_generated_code_validates(code: str) -> None:
    info = validate_uscc(code)
    assert info.organisation_code_valid and info.category_name is not None


@given(usccs(), st.integers(min_value=0, max_value=17), st.sampled_from(USCC_ALPHABET))
def test_any_single_character_change_is_detected(code: str, pos: int, new: str) -> None:
    if code[pos] != new:
        assert not is_valid_uscc(code[:pos] + new + code[pos + 1 :])


@given(st.text())
def test_normalisation_is_idempotent(text: str) -> None:
    once = normalise_uscc(text)
    assert normalise_uscc(once) == once


@given(anything)
def test_parser_raises_only_validation_failed(value: object) -> None:
    with contextlib.suppress(ValidationFailed):
        validate_uscc(value)  # type: ignore[arg-type]


@settings(max_examples=60)
@given(
    st.lists(
        st.one_of(
            usccs(),
            st.text(alphabet=USCC_ALPHABET + "az", min_size=17, max_size=19),
            st.text(max_size=20),
        ),
        max_size=30,
    )
)
def test_vectorised_check_agrees_with_scalar(values: list[str]) -> None:
    expected = [is_valid_uscc(v) and normalise_uscc(v) == v for v in values]
    assert is_valid_uscc_array(np.array(values, dtype=np.str_)).tolist() == expected
