"""Property tests for the validators behind context-led redaction (``text_numbers``)."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from citybase.identifiers import id_number_check_digit, luhn_check_digit, luhn_valid
from citybase.privacy.text_numbers import digits_of, id_parts, luhn_ok, phone_plan

_digits = st.text(alphabet="0123456789", min_size=2, max_size=20)


@settings(max_examples=300)
@given(_digits)
def test_luhn_agrees_with_the_identifiers_module(number: str) -> None:
    assert luhn_ok(number) == luhn_valid(number)
    assert luhn_ok(number + luhn_check_digit(number))


@settings(max_examples=300)
@given(_digits, st.integers(0, 19), st.integers(1, 9))
def test_one_changed_digit_breaks_luhn(number: str, where: int, delta: int) -> None:
    full = number + luhn_check_digit(number)
    i = where % len(full)
    changed = full[:i] + str((int(full[i]) + delta) % 10) + full[i + 1 :]
    assert not luhn_ok(changed)


@settings(max_examples=300)
@given(
    st.sampled_from(["110000", "440100", "110101", "320106", "990000"]),
    st.dates(date(1900, 1, 1), date(2025, 12, 31)),
    st.integers(0, 999),
)
def test_id_parts_checksum_birth_and_area(area: str, born: date, seq: int) -> None:
    first17 = f"{area}{born:%Y%m%d}{seq:03d}"
    number = first17 + id_number_check_digit(first17)
    parts = id_parts(number)
    assert parts is not None and parts.checksum and parts.birth_date
    assert parts.area == {
        "110000": "province", "440100": "prefecture", "110101": "county",
        "320106": "county", "990000": "none",
    }[area]  # fmt: skip
    wrong = "0" if number[17] != "0" else "1"
    assert not id_parts(number[:17] + wrong).checksum  # type: ignore[union-attr]


def test_id_parts_rejects_impossible_dates_and_shapes() -> None:
    first17 = "11000019901301123"  # month 13
    assert not id_parts(first17 + id_number_check_digit(first17)).birth_date  # type: ignore[union-attr]
    assert id_parts("12345") is None
    assert id_parts("11000019900101123Z") is None


@settings(max_examples=300)
@given(st.integers(3, 9), st.integers(0, 10**9 - 1))
def test_mobiles_on_the_plan(second: int, rest: int) -> None:
    number = f"1{second}{rest:09d}"
    assert phone_plan(number) == "CN_MOBILE"
    assert phone_plan("86" + number) == "CN_MOBILE"
    assert phone_plan("0086" + number) == "CN_MOBILE"


@settings(max_examples=300)
@given(st.integers(0, 2), st.integers(0, 10**9 - 1))
def test_mobiles_off_the_plan(second: int, rest: int) -> None:
    assert phone_plan(f"1{second}{rest:09d}") is None


@settings(max_examples=200)
@given(
    st.sampled_from(["010", "021", "025", "0755", "0571"]),
    st.integers(2, 9),
    st.integers(0, 10**6 - 1),
)
def test_landlines_need_a_real_area_code(area: str, first: int, rest: int) -> None:
    local = f"{first}{rest:06d}" + ("0" if len(area) == 3 else "")
    assert phone_plan(area + local) == "CN_LANDLINE"
    assert phone_plan("0000" + local) is None
    assert phone_plan(area + "1" + local[1:]) is None


def test_digits_of_folds_separators_and_full_width() -> None:
    assert digits_of("０７５５－8888 8888") == "075588888888"
    assert digits_of("(025)8312-3456") == "02583123456"
