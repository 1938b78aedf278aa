"""Byte-level column checks against the unicode validators they replace, on random input.

``column_bytes`` re-implements GB 11643, GB 32100, Luhn and the mobile shape over the Arrow
buffer for speed; a drift from ``citybase.identifiers`` / ``column_checks`` would silently
change which columns are graded sensitive.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citybase.identifiers import (
    generate_id_number,
    generate_uscc,
    is_valid_id_number_array,
    is_valid_uscc_array,
    luhn_check_digit,
)
from citybase.privacy import column_bytes as cb
from citybase.privacy.column_checks import check_type
from citybase.privacy.detect_columns import _hit_ratios
from citybase.privacy.policy import PII_TYPES

_TODAY = date(2024, 6, 30)


def _ids(rng: np.random.Generator, n: int) -> list[str]:
    out = []
    for _ in range(n):
        born = date(1880 + int(rng.integers(0, 150)), int(rng.integers(1, 13)), 1)
        number = generate_id_number(rng, "320106", min(born, _TODAY))
        out.append(number if rng.random() < 0.8 else number[:6] + number[8:17])
    return out


def _mutated(rng: np.random.Generator, values: list[str], alphabet: str) -> list[str]:
    """Each value with, half the time, one character replaced or the value cut short."""
    out = []
    for v in values:
        if rng.random() < 0.5 and v:
            i = int(rng.integers(0, len(v)))
            v = v[:i] + alphabet[int(rng.integers(0, len(alphabet)))] + v[i + 1 :]
        if rng.random() < 0.1:
            v = v[: int(rng.integers(0, len(v) + 1))]
        out.append(v)
    return out


_ASCII = "0123456789XxABCDEFGHJKLMNPQRTUWYIOSVZ+a"


def _general(pii_type: str, values: list[str]) -> list[bool]:
    arr = pa.array(values, pa.string())
    lengths = np.asarray(pc.utf8_length(arr), dtype=np.int64)
    mask = check_type(pii_type, arr, pc.utf8_upper(arr), arr, lengths)  # type: ignore[arg-type]
    return [bool(x) for x in mask]


def _plain(values: list[str]) -> cb.PlainColumn:
    column = cb.plain_column(pa.array(values, pa.string()))
    assert column is not None
    return column


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_id_numbers_equal_the_identifier_validator(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = _mutated(rng, _ids(rng, 200), _ASCII)
    expected = is_valid_id_number_array([v.upper() for v in values], today=_TODAY)
    assert cb.id_numbers(_plain(values), today=_TODAY).tolist() == expected.tolist()
    assert expected.sum() > 20  # the sample holds valid numbers, not only failures


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_usccs_equal_the_identifier_validator(seed: int) -> None:
    rng = np.random.default_rng(seed)
    kinds = ["91", "N2", "Y1", "12", "51"]
    values = [generate_uscc(rng, "320106", kinds[int(rng.integers(0, 5))]) for _ in range(200)]
    values = _mutated(rng, values, _ASCII)
    expected = is_valid_uscc_array([v.upper() for v in values])
    assert cb.usccs(_plain(values)).tolist() == expected.tolist()
    assert expected.sum() > 20


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_bank_cards_and_mobiles_equal_the_general_checks(seed: int) -> None:
    rng = np.random.default_rng(seed)
    cards = []
    for _ in range(150):
        body = "".join(str(d) for d in rng.integers(0, 10, size=int(rng.integers(13, 19))))
        body = ["62", "4", "5", "9", "3"][int(rng.integers(0, 5))] + body
        cards.append(body + luhn_check_digit(body))
    mobiles = [
        ["", "86", "+86", "0086", "8"][int(rng.integers(0, 5))]
        + f"1{rng.integers(0, 10)}{rng.integers(0, 10**9):09d}"
        for _ in range(150)
    ]
    values = _mutated(rng, cards + mobiles, "0123456789+x")
    plain = _plain(values)
    assert cb.bank_cards(plain).tolist() == _general("BANK_CARD", values)
    assert cb.mobiles(plain).tolist() == _general("CN_MOBILE", values)
    assert any(_general("BANK_CARD", values)) and any(_general("CN_MOBILE", values))


@pytest.mark.parametrize(
    "values",
    [
        ["139 1234 5678"],
        ["139-1234-5678"],
        ["(025)1234"],
        [" 1"],
        ["a\tb"],
        ["苏A·12345"],
        ["王•小明"],
        ["１３９"],
        ["张\u3000三"],
        ["José"],
        ["（025）"],
        ["ⓐ"],
    ],
)
def test_values_that_need_normalising_take_the_general_path(values: list[str]) -> None:
    assert cb.plain_column(pa.array(values, pa.string())) is None


def test_plain_columns_are_upper_cased_and_sliced_arrays_are_read_at_their_offset() -> None:
    arr = pa.array(["skip", "32010119661226372x", "abc"], pa.string()).slice(1)
    plain = cb.plain_column(arr)
    assert plain is not None
    assert plain.lengths.tolist() == [18, 3]
    rows, matrix = plain.matrix(18)
    assert rows.tolist() == [0] and bytes(matrix[:, 0]) == b"32010119661226372X"
    assert cb.plain_column(pa.array(["a", None], pa.string())) is None


def _general_ratios(values: list[str]) -> dict[str, float]:
    """Hit ratios through the normalising path, as ``detect_columns`` computes them."""
    raw = pc.utf8_trim_whitespace(pa.array(values, pa.string()))
    compact = pc.replace_substring_regex(raw, r"[\s\-·•()（）]", "")
    lengths = np.asarray(pc.utf8_length(compact), dtype=np.int64)
    upper = pc.utf8_upper(compact)
    return {t: float(check_type(t, compact, upper, raw, lengths).mean()) for t in PII_TYPES}


def test_plain_columns_with_chinese_give_the_same_ratios_as_the_general_path() -> None:
    values = [
        "苏AD43445", "京A12345", "粤Z1234港", "苏a1234学", "张三", "欧阳娜娜", "13912345678",
        "示范市东城区南门街道五洲巷41号", "江宁区淳化街道青龙村", "wang@example.com",
        "192.168.1.1", "E12345678", "02583123456", "32010119661226372x", "使123456",
    ]  # fmt: skip
    arr = pa.array(values, pa.string())
    plain = cb.plain_column(arr)
    assert plain is not None and plain.has_lower
    assert plain.chars.tolist() == [len(v) for v in values]
    assert _hit_ratios(arr, arr.type, PII_TYPES) == _general_ratios(values)
